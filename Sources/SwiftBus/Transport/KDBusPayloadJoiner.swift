// KDBus Payload Joiner: a message's bytes from its payload items, inline and memfd.
import BusPlatform
import DBusWire
import Glibc

/// Finds and joins the payload items of a slice (docs/kdbus-transport.md §7–8): the
/// message is the concatenation of its payload-inline and payload-memfd parts, in item
/// order. The common case, one inline part, is read in place; parts are joined into a copy.
enum KDBusPayloadJoiner {
    /// The range of the message when it is exactly one inline part (no allocation).
    static func singleInlineRange(_ items: [KDBusItem], in slice: UnsafeRawBufferPointer) -> Range<Int>? {
        var found: KDBusItem?
        for item in items where item.type == .payloadInline || item.type == .payloadMemfd {
            guard found == nil, item.type == .payloadInline else { return nil }
            found = item
        }
        guard let found else { return nil }
        return inlineRange(found, in: slice)
    }

    /// The inline part an item points at (the slice reader checked its bounds).
    static func inlineRange(_ item: KDBusItem, in slice: UnsafeRawBufferPointer) -> Range<Int> {
        let offset = Int(slice.kdbusLoad(UInt64.self, at: item.payload.lowerBound))
        let length = Int(slice.kdbusLoad(UInt64.self, at: item.payload.lowerBound + 8))
        return offset..<offset + length
    }

    /// Every part joined, memfds mapped read-only after checking they are sealed against
    /// writes and long enough.
    static func join(_ items: ArraySlice<KDBusItem>, slice: UnsafeRawBufferPointer, memfds: [CInt]) throws(KDBusChannelError) -> [UInt8] {
        var joined: [UInt8] = []
        for item in items {
            switch item.type {
            case .payloadInline:
                joined += slice[inlineRange(item, in: slice)]
            case .payloadMemfd:
                let (index, length) = try memfdPart(item, slice: slice, memfdCount: memfds.count)
                try append(memfd: memfds[index], length: length, to: &joined)
            default:
                continue
            }
        }
        return joined
    }

    /// Reads a message with memfd parts without copying the largest memfd's whole pages:
    /// they are mapped between the bytes before and after it (`SplicedMapping`), which are
    /// joined. Nil when the message has no memfd part: join it instead.
    static func withSpliced<R>(_ items: [KDBusItem], slice: UnsafeRawBufferPointer, memfds: [CInt],
                               _ body: (UnsafeRawBufferPointer) -> R) throws(KDBusChannelError) -> R? {
        let payloads = items.filter { $0.type == .payloadInline || $0.type == .payloadMemfd }
        var largest: (position: Int, index: Int, length: Int)?
        for (position, item) in payloads.enumerated() where item.type == .payloadMemfd {
            let (index, length) = try memfdPart(item, slice: slice, memfdCount: memfds.count)
            if length > (largest?.length ?? 0) { largest = (position, index, length) }
        }
        guard let largest else { return nil }
        let head = try join(payloads[..<largest.position], slice: slice, memfds: memfds)
        let tail = try join(payloads[(largest.position + 1)...], slice: slice, memfds: memfds)
        let file = try checkedMemfd(memfds[largest.index], length: largest.length)
        let read = head.withUnsafeBytes { head in
            tail.withUnsafeBytes { tail in
                Result { () throws(Errno) in
                    try SplicedMapping.map(head: head, file: file, length: largest.length, tail: tail).withUnsafeBytes(body)
                }
            }
        }
        do { return try read.get() } catch { throw .system("mapping a payload memfd", error) }
    }

    /// The memfd index and length a payload-memfd item names (the index checked).
    private static func memfdPart(_ item: KDBusItem, slice: UnsafeRawBufferPointer, memfdCount: Int) throws(KDBusChannelError) -> (Int, Int) {
        let length = Int(clamping: slice.kdbusLoad(UInt64.self, at: item.payload.lowerBound))
        let index = Int(slice.kdbusLoad(UInt32.self, at: item.payload.lowerBound + 8))
        guard index < memfdCount else {
            throw .protocolViolation("payload-memfd item names memfd \(index) of \(memfdCount)")
        }
        return (index, length)
    }

    private static func append(memfd raw: CInt, length: Int, to joined: inout [UInt8]) throws(KDBusChannelError) {
        guard length > 0 else { return }
        let file = try checkedMemfd(raw, length: length)
        do {
            let mapping = try MappedRegion.map(file, length: length, protection: .read)
            mapping.withUnsafeBytes { joined += $0 }
        } catch {
            throw .system("mapping a payload memfd", error)
        }
    }

    /// A duplicate of `raw` (the channel keeps owning it until release), once it proves
    /// sealed against writes and shrinking and at least `length` bytes long.
    private static func checkedMemfd(_ raw: CInt, length: Int) throws(KDBusChannelError) -> FileDescriptor {
        let duplicate = fcntl(raw, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else { throw .system("duplicating a payload memfd", .current) }
        let file = FileDescriptor(owning: duplicate)
        let seals: FileSeals
        let size: Int
        do {
            seals = try file.seals()
            size = try file.size()
        } catch {
            throw .system("checking a payload memfd", error)
        }
        guard seals.isSuperset(of: [.shrink, .grow, .write]) else {
            throw .pool(.missingSeals(required: [.shrink, .grow, .write], found: seals))
        }
        guard size >= length else { throw .pool(.wrongSize(expected: length, found: size)) }
        return file
    }
}
