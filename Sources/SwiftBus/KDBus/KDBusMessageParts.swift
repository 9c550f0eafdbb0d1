/// KDBus Message Parts: a message split into inline bytes and memfd parts, both directions.
import BusPlatform
import DBusWire

/// The outgoing payload layout of docs/kdbus-transport.md §8: a message whose large byte
/// arrays travel as memfds is written to the arena as a *parts list* — a slice header, one
/// payload item per part, then the inline bytes. (Incoming slices are read by
/// `KDBusPayloadJoiner`.)
enum KDBusMessageParts {
    /// Bytes of a payload item (header plus its 16-byte payload), both kinds.
    static let payloadItemSize = KDBusSliceWriter.itemSize(payloadLength: 16)

    /// One piece of a message, in message order.
    enum Part: Equatable {
        case inline(Range<Int>)
        /// The memfd with this index among the message's memfds.
        case memfd(Range<Int>, index: Int)
    }

    /// The pieces of a `length`-byte message whose `memfdRanges` (ascending, disjoint) go
    /// in memfds; empty inline stretches are left out.
    static func parts(messageLength length: Int, memfdRanges: [Range<Int>]) -> [Part] {
        var parts: [Part] = []
        var position = 0
        for (index, range) in memfdRanges.enumerated() {
            if range.lowerBound > position { parts.append(.inline(position..<range.lowerBound)) }
            parts.append(.memfd(range, index: index))
            position = range.upperBound
        }
        if position < length { parts.append(.inline(position..<length)) }
        return parts
    }

    /// The pieces of a marshalled message whose `holes` (its large byte arrays, left out of
    /// its `messageLength` bytes by the marshaller) go in memfds. A memfd part's range is in
    /// the message only for its length: the bytes are the hole's, not the message's.
    static func parts(messageLength length: Int, holes: [WireHole]) -> [Part] {
        var parts: [Part] = []
        var position = 0
        for (index, hole) in holes.enumerated() {
            if hole.offset > position { parts.append(.inline(position..<hole.offset)) }
            parts.append(.memfd(hole.offset..<hole.offset + hole.contents.count, index: index))
            position = hole.offset
        }
        if position < length { parts.append(.inline(position..<length)) }
        return parts
    }

    /// Arena bytes of the parts list for `parts`: header, items, inline bytes at 8-aligned offsets.
    static func partsListLength(_ parts: [Part]) -> Int {
        var total = KDBusSliceHeader.size + parts.count * payloadItemSize
        for case .inline(let range) in parts { total = total.kdbusAligned + range.count }
        return total
    }

    /// Writes the parts list of `message` into `target` (exactly `partsListLength` bytes).
    static func writePartsList(_ parts: [Part], of message: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) {
        var writer = KDBusSliceWriter(buffer: target)
        var dataPosition = KDBusSliceHeader.size + parts.count * payloadItemSize
        for part in parts {
            switch part {
            case .inline(let range):
                dataPosition = dataPosition.kdbusAligned
                let offset = dataPosition
                _ = writer.append(.payloadInline, payloadLength: 16) { payload in
                    payload.storeBytes(of: UInt64(offset).littleEndian, toByteOffset: 0, as: UInt64.self)
                    payload.storeBytes(of: UInt64(range.count).littleEndian, toByteOffset: 8, as: UInt64.self)
                }
                UnsafeMutableRawBufferPointer(rebasing: target[offset..<offset + range.count])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: message[range]))
                dataPosition += range.count
            case .memfd(let range, let index):
                _ = writer.append(.payloadMemfd, payloadLength: 16) { payload in
                    payload.storeBytes(of: UInt64(range.count).littleEndian, toByteOffset: 0, as: UInt64.self)
                    payload.storeBytes(of: UInt32(index).littleEndian, toByteOffset: 8, as: UInt32.self)
                    payload.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
                }
            }
        }
        writer.finish(sequence: 0)
    }
}
