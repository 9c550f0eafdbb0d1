// Fuzz target: the kdbus metadata decoder, and the encoder on what it decoded.
//
// Input: a slice (header, items, anything after). Checks: no crash; an error names an offset
// inside the slice; a slice that decodes re-encodes (from the decoded values, through
// `KDBusSliceWriter.appendMetadata`) into a slice that decodes to the same values, with
// `metadataLength` equal to what was written.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKDBusMetadata(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let slice = UnsafeRawBufferPointer(start: data, count: size)
    let decoded: KDBusMetadata
    do {
        decoded = try KDBusMetadata(slice: slice)
    } catch {
        precondition(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside a \(size)-byte slice: \(error)")
        return 0
    }
    reencode(decoded)
    return 0
}

/// Writes `decoded` back as items (only its values that the layout can carry unchanged) and
/// checks they read back equal.
private func reencode(_ decoded: KDBusMetadata) {
    var wanted = KDBusMetadataSet()
    var cache = KDBusMetadataCache()
    var stamp = KDBusMetadataStamp(processID: 0, userID: 0, groupID: 0,
                                   timestamp: .init(sequence: 0, monotonicNanoseconds: 0, realtimeNanoseconds: 0))
    if let c = decoded.credentials {
        wanted.insert(.credentials)
        (stamp.userID, cache.effectiveUID, cache.savedUID, cache.filesystemUID) = (c.uid, c.euid, c.suid, c.fsuid)
        (stamp.groupID, cache.effectiveGID, cache.savedGID, cache.filesystemGID) = (c.gid, c.egid, c.sgid, c.fsgid)
    }
    if let p = decoded.processIDs, p.tid == 0 {
        wanted.insert(.pids)
        (stamp.processID, cache.parentPID) = (p.pid, p.ppid)
    }
    if let caps = decoded.capabilities { wanted.insert(.capabilities); cache.capabilities = caps }
    if let audit = decoded.audit { wanted.insert(.audit); cache.audit = audit }
    if let time = decoded.timestamp { wanted.insert(.timestamp); stamp.timestamp = time }
    if let groups = decoded.groups, !groups.isEmpty { wanted.insert(.groups); cache.groups = groups }
    // Text without interior NULs survives the trip, as long as repairing invalid UTF-8
    // (one byte can become three) did not push it past the item limit.
    if let comm = decoded.comm, !comm.utf8.contains(0), comm.utf8.count < KDBusSliceWriter.maxTextPayload {
        wanted.insert(.comm)
        cache.comm = Array(comm.utf8)
    }
    var names = decoded.ownedNames.map { $0.map { Array($0.utf8) } } ?? []
    if names.reduce(0, { $0 + $1.count + 1 }) > KDBusSliceWriter.maxTextPayload { names = [] }
    if !names.isEmpty { wanted.insert(.ownedNames) }

    let pidfdIndex = decoded.pidfdIndex.map { UInt32($0) }
    if pidfdIndex != nil { wanted.insert(.pidfd) }
    let length = KDBusSliceWriter.metadataLength(wanted, cache: cache, names: names, pidfdIndex: pidfdIndex)
    var bytes = [UInt8](repeating: 0, count: KDBusSliceHeader.size + length)
    bytes.withUnsafeMutableBytes { buffer in
        var writer = KDBusSliceWriter(buffer: buffer)
        precondition(writer.appendMetadata(wanted, stamp: stamp, cache: cache, names: names, pidfdIndex: pidfdIndex), "metadataLength too small")
        precondition(writer.position == buffer.count, "metadataLength \(length) but wrote \(writer.position - KDBusSliceHeader.size)")
        writer.finish(sequence: 0)
    }
    let again: KDBusMetadata
    do {
        again = try bytes.withUnsafeBytes { buffer throws(KDBusMetadataError) in try KDBusMetadata(slice: buffer) }
    } catch {
        preconditionFailure("re-encoded metadata does not decode: \(error)")
    }
    precondition(again.credentials == decoded.credentials || !wanted.contains(.credentials))
    precondition(again.processIDs == (wanted.contains(.pids) ? decoded.processIDs : nil))
    precondition(again.capabilities == decoded.capabilities && again.audit == decoded.audit)
    precondition(again.timestamp == decoded.timestamp && again.pidfdIndex == decoded.pidfdIndex)
    precondition(again.groups == (wanted.contains(.groups) ? decoded.groups : nil))
    precondition(again.comm == (wanted.contains(.comm) ? decoded.comm : nil), "comm \(String(describing: again.comm)) != \(String(describing: decoded.comm))")
    precondition(again.ownedNames == (names.isEmpty ? nil : decoded.ownedNames), "names differ")
}
