// KDBus Parts: SENDs whose body travels partly in sealed memfds (docs/kdbus-transport.md §8).
import BusPlatform
import DBusWire

extension Broker {
    /// A SEND with memfd parts: its arena range is a parts list. Every memfd is checked
    /// (sealed against any change, exactly its part's length), the message is joined into
    /// broker memory and validated there, then routed as any other; pool receivers get the
    /// memfds themselves (payload-memfd items), classic receivers the joined bytes.
    func carryOutParts(_ send: KDBusRecord.Send, from peer: Peer, connection: KDBusConnection, at: String) {
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
        let parts: [KDBusSendPart]
        do throws(KDBusPartsError) {
            parts = try KDBusSendPart.parse(list, memfds: memfds, maxMessageSize: limits.maxMessageSize)
        } catch {
            disconnect(peer, reason: "\(at): SEND parts list: \(error)")
            return
        }
        let total = parts.reduce(0) { $0 + $1.length }
        let joined = kdbusState.copyBuffer(length: total)
        do throws(KDBusPartsError) {
            try KDBusSendPart.join(parts, list: list, memfds: memfds, into: joined)
        } catch {
            disconnect(peer, reason: "\(at): SEND parts: \(error)")
            return
        }
        let message = UnsafeRawBufferPointer(joined)
        guard let view = validatedCopy(message, from: peer, fdCount: fdCount, at: at) else { return }
        kdbusState.currentParts = KDBusBodyParts(parts, bodyOffset: view.bodyOffset, bodyLength: view.bodyLength, memfds: memfds)
        kdbusState.currentPriority = send.priority
        route(view, from: peer)
        kdbusState.currentPriority = 0
        kdbusState.currentParts = nil
        if !peer.isClosed { peer.receivedDescriptors.dropFirst(fdCount + memfdCount) }
    }
}

/// One part of a SEND's parts list, in message order: bytes in the list itself, or a memfd.
struct KDBusSendPart {
    enum Source {
        /// Bytes at this range of the parts list.
        case inline(Range<Int>)
        /// The whole memfd with this index among the SEND's memfds.
        case memfd(Int)
    }

    var source: Source
    var length: Int

    /// Seals a payload memfd must carry: nothing about it can change, ever.
    static let requiredSeals: FileSeals = [.shrink, .grow, .write, .seal]

    /// Reads and checks a parts list (§8): only payload items, each memfd used exactly once,
    /// sealed and of its item's length, the total within `maxMessageSize`.
    static func parse(_ list: [UInt8], memfds: [CInt], maxMessageSize: Int) throws(KDBusPartsError) -> [KDBusSendPart] {
        let contents: KDBusSliceContents
        do { contents = try KDBusSliceReader.read(list) } catch { throw .items(error) }
        guard contents.header.sequence == 0 else { throw .reservedNotZero }
        var parts: [KDBusSendPart] = []
        var used = [Bool](repeating: false, count: memfds.count)
        var total = 0
        for item in contents.items {
            let part = try part(for: item, in: list, memfds: memfds, used: &used)
            total += part.length
            guard total <= maxMessageSize else { throw .tooLarge(total, limit: maxMessageSize) }
            parts.append(part)
        }
        if let unused = used.firstIndex(of: false) { throw .memfdUnused(unused) }
        guard total > 0 else { throw .empty }
        return parts
    }

    private static func part(for item: KDBusItem, in list: [UInt8], memfds: [CInt], used: inout [Bool]) throws(KDBusPartsError) -> KDBusSendPart {
        let (first, second, third) = list.withUnsafeBytes { raw in
            (raw.kdbusLoad(UInt64.self, at: item.payload.lowerBound), raw.kdbusLoad(UInt64.self, at: item.payload.lowerBound + 8),
             raw.kdbusLoad(UInt32.self, at: item.payload.lowerBound + 12))
        }
        switch item.type {
        case .payloadInline:
            // The slice reader checked offset and length against the list.
            return KDBusSendPart(source: .inline(Int(first)..<Int(first + second)), length: Int(second))
        case .payloadMemfd:
            let index = Int(second & 0xFFFF_FFFF)
            guard third == 0 else { throw .reservedNotZero }
            guard index < memfds.count else { throw .memfdIndex(index, count: memfds.count) }
            guard !used[index] else { throw .memfdReused(index) }
            used[index] = true
            let file = FileDescriptor(owning: duplicateDescriptor(memfds[index]))
            do {
                let seals = try file.seals()
                guard seals.isSuperset(of: requiredSeals) else { throw KDBusPartsError.seals(index, found: seals) }
                let size = try file.size()
                guard size == Int(clamping: first), size > 0 else { throw KDBusPartsError.size(index, found: size, item: first) }
            } catch let error as KDBusPartsError {
                throw error
            } catch {
                throw .system(index, "\(error)")
            }
            return KDBusSendPart(source: .memfd(index), length: Int(first))
        default:
            throw .notPayload(item.rawType)
        }
    }

    /// Joins the parts into `target` (exactly their total length), mapping each memfd
    /// read-only: its `write` seal means nobody can change it while it is read.
    static func join(_ parts: [KDBusSendPart], list: [UInt8], memfds: [CInt], into target: UnsafeMutableRawBufferPointer) throws(KDBusPartsError) {
        var position = 0
        for part in parts {
            let destination = UnsafeMutableRawBufferPointer(rebasing: target[position..<position + part.length])
            switch part.source {
            case .inline(let range):
                list.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) }
            case .memfd(let index):
                let file = FileDescriptor(owning: duplicateDescriptor(memfds[index]))
                do throws(Errno) {
                    let mapping = try MappedRegion.map(file, length: part.length, protection: .read)
                    mapping.withUnsafeBytes { destination.copyMemory(from: $0) }
                } catch {
                    throw .system(index, "mmap: \(error)")
                }
            }
            position += part.length
        }
    }
}

/// Why a SEND's parts list or memfds were refused; the peer is disconnected.
enum KDBusPartsError: Error, CustomStringConvertible {
    case items(KDBusItemError)
    case reservedNotZero
    case notPayload(UInt32)
    case memfdIndex(Int, count: Int)
    case memfdReused(Int)
    case memfdUnused(Int)
    case seals(Int, found: FileSeals)
    case size(Int, found: Int, item: UInt64)
    case tooLarge(Int, limit: Int)
    case empty
    case system(Int, String)

    var description: String {
        switch self {
        case .items(let error): "\(error)"
        case .reservedNotZero: "a reserved field is not zero"
        case .notPayload(let type): "item type \(type) is not a payload item"
        case .memfdIndex(let index, let count): "memfd index \(index), but the SEND carries \(count)"
        case .memfdReused(let index): "memfd \(index) is used twice"
        case .memfdUnused(let index): "memfd \(index) is not used by any part"
        case .seals(let index, let found): "memfd \(index) has seals \(found), needs \(KDBusSendPart.requiredSeals)"
        case .size(let index, let found, let item): "memfd \(index) is \(found) bytes, its item says \(item)"
        case .tooLarge(let total, let limit): "parts add up to more than max_message_size=\(limit) (\(total) so far)"
        case .empty: "the parts add up to nothing"
        case .system(let index, let text): "memfd \(index): \(text)"
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
    init?(_ parts: [KDBusSendPart], bodyOffset: Int, bodyLength: Int, memfds: [CInt]) {
        var segments: [Segment] = []
        var start = 0
        for part in parts {
            let end = start + part.length
            defer { start = end }
            switch part.source {
            case .memfd(let index):
                guard start >= bodyOffset else { return nil }
                segments.append(.memfd(index, length: part.length))
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
