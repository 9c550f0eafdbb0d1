// KDBus Parts: SENDs whose body travels partly in sealed memfds (docs/kdbus-transport.md §8).
import BusPlatform
import DBusWire

extension Broker {
    /// A SEND with memfd parts: its arena range is a parts list. Every memfd is checked
    /// (sealed against any change, exactly its part's length), the message is joined into
    /// broker memory and validated there, then routed as any other; pool receivers get the
    /// memfds themselves (payload-memfd items), classic receivers the joined bytes.
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
                    try KDBusPartsList.parse(raw, memfdCount: memfdCount, maxMessageSize: limits.maxMessageSize)
                }
            }.get()
        } catch {
            disconnect(peer, reason: "\(at): SEND parts list: \(error)")
            return
        }
        do throws(KDBusSendParts.MemfdError) {
            try KDBusSendParts.checkMemfds(parts, memfds: memfds)
        } catch {
            disconnect(peer, reason: "\(at): SEND parts: \(error)")
            return
        }
        // The usual shape, one memfd as the last part (a trailing `ay`): its pages are mapped
        // after the inline bytes, not copied, and validating an `ay` reads only its length.
        if case .memfd(let index, let length)? = parts.last, memfds.count == 1 {
            KDBusSendParts.inlineBytes(parts.dropLast(), list: list).withUnsafeBytes { head in
                do throws(Errno) {
                    let file = try KDBusSendParts.duplicate(memfds[index])
                    let spliced = try SplicedMapping.map(head: head, file: file, length: length)
                    spliced.withUnsafeBytes { message in
                        routeParts(message, parts: parts, memfds: memfds, send: send, from: peer, at: at)
                    }
                } catch {
                    disconnect(peer, reason: "\(at): SEND parts: memfd \(index): mmap: \(error)")
                }
            }
            return
        }
        let total = parts.reduce(0) { $0 + $1.length }
        let joined = kdbusState.copyBuffer(length: total)
        do throws(KDBusSendParts.MemfdError) {
            try KDBusSendParts.join(parts, list: list, memfds: memfds, into: joined)
        } catch {
            disconnect(peer, reason: "\(at): SEND parts: \(error)")
            return
        }
        routeParts(UnsafeRawBufferPointer(joined), parts: parts, memfds: memfds, send: send, from: peer, at: at)
        kdbusState.shrinkCopyBuffer()
    }

    /// Validates a message joined from its parts (in broker memory or a spliced mapping of
    /// sealed memfds, which nobody can change) and routes it with its parts for pool receivers.
    private func routeParts(_ message: UnsafeRawBufferPointer, parts: [KDBusPartsList.Part], memfds: [CInt],
                            send: KDBusRecord.Send, from peer: Peer, at: KDBusRecordPlace) {
        let fdCount = Int(send.fdCount)
        guard let view = validatedCopy(message, from: peer, fdCount: fdCount, at: at) else { return }
        kdbusState.currentParts = KDBusBodyParts(parts, bodyOffset: view.bodyOffset, bodyLength: view.bodyLength, memfds: memfds)
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
    static let requiredSeals: FileSeals = [.shrink, .grow, .write, .seal]

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

    /// The inline parts' bytes, concatenated (the head of a spliced message).
    static func inlineBytes(_ parts: ArraySlice<KDBusPartsList.Part>, list: [UInt8]) -> [UInt8] {
        var head: [UInt8] = []
        for case .inline(let range) in parts { head += list[range] }
        return head
    }

    /// Joins the parts into `target` (exactly their total length), mapping each memfd
    /// read-only: its write seal means nobody can change it while it is read.
    static func join(_ parts: [KDBusPartsList.Part], list: [UInt8], memfds: [CInt], into target: UnsafeMutableRawBufferPointer) throws(MemfdError) {
        var position = 0
        for part in parts {
            let destination = UnsafeMutableRawBufferPointer(rebasing: target[position..<position + part.length])
            switch part {
            case .inline(let range):
                list.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) }
            case .memfd(let index, let length):
                do throws(Errno) {
                    let file = try duplicate(memfds[index])
                    let mapping = try MappedRegion.map(file, length: length, protection: .read)
                    mapping.withUnsafeBytes { destination.copyMemory(from: $0) }
                } catch {
                    throw .system(index, "mmap: \(error)")
                }
            }
            position += part.length
        }
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

    var segments: [Segment]
    var bodyLength: Int
    /// The sender's memfds, lent (owned by its received-descriptor queue while routed).
    var memfds: [CInt]

    /// Nil when a memfd part reaches into the header: then every receiver gets a copy.
    init?(_ parts: [KDBusPartsList.Part], bodyOffset: Int, bodyLength: Int, memfds: [CInt]) {
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
    }
}
