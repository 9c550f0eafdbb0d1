// KDBus Parts: SENDs whose body travels partly in sealed memfds (docs/kdbus-transport.md §8).
import BusPlatform
import DBusWire

extension Broker {
    /// A SEND with memfd parts: its arena range is a parts list. Every memfd is checked
    /// (sealed against any change, exactly its part's length); the largest is mapped in place
    /// and the other parts copied around it (`SplicedMapping`), so the broker copies at most
    /// `max_message_size` bytes however large the memfd; the message is validated there, then
    /// routed as any other. Pool receivers get the memfds themselves (payload-memfd items),
    /// classic receivers the joined bytes, when D-Bus's limits allow them any.
    func carryOutParts(_ send: KDBusRecord.Send, from peer: Peer, connection: KDBusConnection, at: KDBusRecordPlace) {
        let fdCount = Int(send.fdCount)
        let memfdCount = Int(send.memfdCount)
        guard send.length <= UInt64(connection.agreement.arenaSize) else {
            disconnect(peer, reason: "\(at): SEND outside the arena: \(send.length) bytes, the arena has \(connection.agreement.arenaSize)")
            return
        }
        var list = [UInt8](repeating: 0, count: Int(send.length))
        do throws(PoolError) {
            try list.withUnsafeMutableBytes { copy in
                Result { () throws(PoolError) in try connection.copyOut(offset: send.arenaOffset, into: copy) }
            }.get()
        } catch {
            disconnect(peer, reason: "\(at): SEND outside the arena: \(error)")
            return
        }
        connection.markConsumed()
        let memfds = (0..<memfdCount).map { peer.receivedDescriptors.rawValue(at: fdCount + $0) }
        let parts: [KDBusPartsList.Part]
        do throws(KDBusPartsError) {
            parts = try list.withUnsafeBytes { raw in
                Result { () throws(KDBusPartsError) in
                    try KDBusPartsList.parse(raw, memfdCount: memfdCount, maxCopiedBytes: limits.maxMessageSize)
                }
            }.get()
        } catch {
            disconnect(peer, reason: "\(at): SEND parts list: \(error)")
            return
        }
        do throws(KDBusSendParts.MemfdError) {
            try KDBusSendParts.checkMemfds(parts, memfds: memfds)
            guard let position = KDBusPartsList.splicedPart(of: parts), case .memfd(let index, let length) = parts[position] else {
                throw .system(0, "a SEND with memfds has no memfd part")
            }
            let head = try KDBusSendParts.joined(parts[..<position], list: list, memfds: memfds)
            let tail = try KDBusSendParts.joined(parts[(position + 1)...], list: list, memfds: memfds)
            let spliced = KDBusBodyParts.Splice(memfd: index, range: head.count..<head.count + length)
            try KDBusSendParts.withSpliced(head: head, memfd: memfds[index], index: index, length: length, tail: tail) { message in
                routeParts(message, parts: parts, spliced: spliced, memfds: memfds, send: send, from: peer, at: at)
            }
        } catch {
            disconnect(peer, reason: "\(at): SEND parts: \(error)")
        }
    }

    /// Validates a message joined from its parts (a spliced mapping of sealed memfds and
    /// copied bytes, which nobody can change) and routes it with its parts for pool receivers.
    /// Past D-Bus's limits it is validated against the kdbus transport's (§8) and reaches pool
    /// receivers only.
    private func routeParts(_ message: UnsafeRawBufferPointer, parts: [KDBusPartsList.Part], spliced: KDBusBodyParts.Splice,
                            memfds: [CInt], send: KDBusRecord.Send, from peer: Peer, at: KDBusRecordPlace) {
        let fdCount = Int(send.fdCount)
        guard let view = validatedCopy(message, from: peer, fdCount: fdCount, at: at, limits: .memfdCarried) else { return }
        kdbusState.currentParts = KDBusBodyParts(parts, bodyOffset: view.bodyOffset, bodyLength: view.bodyLength, memfds: memfds,
                                                 spliced: spliced)
        kdbusState.currentPriority = send.priority
        route(view, from: peer)
        kdbusState.currentPriority = 0
        kdbusState.currentParts = nil
        if !peer.isClosed { peer.receivedDescriptors.dropFirst(fdCount + memfds.count) }
    }
}

/// The broker's side of a parts list: the memfd checks only it can make, and the join.
enum KDBusSendParts {
    /// Seals a payload memfd must carry: nothing about it can change, ever.
    static let requiredSeals: FileSeals = MemoryFile.payloadSeals

    /// Why the memfds of a parts list were refused.
    enum MemfdError: Error, CustomStringConvertible {
        case seals(Int, found: FileSeals)
        case size(Int, found: Int, item: Int)
        case system(Int, String)

        var description: String {
            switch self {
            case .seals(let index, let found): "memfd \(index) has seals \(found), needs \(KDBusSendParts.requiredSeals)"
            case .size(let index, let found, let item): "memfd \(index) is \(found) bytes, its item says \(item)"
            case .system(let index, let text): "memfd \(index): \(text)"
            }
        }
    }

    /// Checks each memfd part: sealed against any change and exactly its item's length.
    static func checkMemfds(_ parts: [KDBusPartsList.Part], memfds: [CInt]) throws(MemfdError) {
        for case .memfd(let index, let length) in parts {
            let seals: FileSeals
            let size: Int
            do throws(Errno) {
                let file = try duplicate(memfds[index])
                seals = try file.seals()
                size = try file.size()
            } catch {
                throw .system(index, "\(error)")
            }
            guard seals.isSuperset(of: requiredSeals) else { throw .seals(index, found: seals) }
            guard size == length else { throw .size(index, found: size, item: length) }
        }
    }

    /// A descriptor of our own for a lent memfd; EMFILE and the like are errors, not traps.
    static func duplicate(_ raw: CInt) throws(Errno) -> FileDescriptor {
        let copy = duplicateDescriptor(raw)
        guard copy >= 0 else { throw Errno.current }
        return FileDescriptor(owning: copy)
    }

    /// The bytes of `parts`, joined: inline parts copied from the list, memfds mapped
    /// read-only and copied (their write seal means nobody can change them while read).
    static func joined(_ parts: ArraySlice<KDBusPartsList.Part>, list: [UInt8], memfds: [CInt]) throws(MemfdError) -> [UInt8] {
        var joined: [UInt8] = []
        joined.reserveCapacity(parts.reduce(0) { $0 + $1.length })
        for part in parts {
            switch part {
            case .inline(let range):
                joined += list[range]
            case .memfd(let index, let length):
                do throws(Errno) {
                    let file = try duplicate(memfds[index])
                    let mapping = try MappedRegion.map(file, length: length, protection: .read)
                    mapping.withUnsafeBytes { joined += $0 }
                } catch {
                    throw .system(index, "mmap: \(error)")
                }
            }
        }
        return joined
    }

    /// Reads `head`, memfd `index` (`length` bytes) and `tail` as one read-only buffer, the
    /// memfd's whole pages mapped rather than copied.
    static func withSpliced<R>(head: [UInt8], memfd raw: CInt, index: Int, length: Int, tail: [UInt8],
                               _ body: (UnsafeRawBufferPointer) -> R) throws(MemfdError) -> R {
        let outcome = head.withUnsafeBytes { head in
            tail.withUnsafeBytes { tail in
                Result { () throws(Errno) -> R in
                    let file = try duplicate(raw)
                    return try SplicedMapping.map(head: head, file: file, length: length, tail: tail).withUnsafeBytes(body)
                }
            }
        }
        do throws(Errno) { return try outcome.get() } catch { throw .system(index, "mmap: \(error)") }
    }
}

/// The message being routed, when it came with memfd parts: its body as segments, so a
/// pool receiver gets the memfds (payload-memfd items) and only the rest is copied.
struct KDBusBodyParts {
    enum Segment {
        /// Body bytes copied into the slice.
        case inline(Range<Int>)
        /// A whole memfd, by its index in `memfds`.
        case memfd(Int, length: Int)
    }

    /// The memfd mapped in place in the routed message, and where its bytes lie in it.
    struct Splice {
        var memfd: Int
        var range: Range<Int>
    }

    var segments: [Segment]
    var bodyLength: Int
    /// The sender's memfds, lent (owned by its received-descriptor queue while routed).
    var memfds: [CInt]
    var spliced: Splice
    /// True when the memfd is the broker's own, holding a body too large for the receiver's
    /// pool (`Broker.spillBody`), rather than the sender's.
    var isSpill = false

    /// Nil when a memfd part reaches into the header: then every receiver gets a copy.
    init?(_ parts: [KDBusPartsList.Part], bodyOffset: Int, bodyLength: Int, memfds: [CInt], spliced: Splice) {
        var segments: [Segment] = []
        var start = 0
        for part in parts {
            let end = start + part.length
            defer { start = end }
            switch part {
            case .memfd(let index, let length):
                guard start >= bodyOffset else { return nil }
                segments.append(.memfd(index, length: length))
            case .inline:
                let lower = max(start, bodyOffset)
                if end > lower { segments.append(.inline(lower - bodyOffset..<end - bodyOffset)) }
            }
        }
        self.segments = segments
        self.bodyLength = bodyLength
        self.memfds = memfds
        self.spliced = spliced
    }
}
