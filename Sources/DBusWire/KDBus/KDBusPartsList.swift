// KDBus Parts List: the layout of a SEND that carries memfd parts, read and checked.

/// A SEND with memfd parts names, in the arena, a parts list (docs/kdbus-transport.md §8):
/// the slice layout of §7 holding only payload items, sequence 0. The message is the parts'
/// concatenation. This reads and checks the list; what only the broker can check (each
/// memfd's seals and size) is left to it.
public enum KDBusPartsList {
    /// One part, in message order.
    public enum Part: Sendable, Hashable {
        /// Bytes at this range of the list itself.
        case inline(Range<Int>)
        /// The whole memfd with this index among the SEND's memfds, of this length.
        case memfd(index: Int, length: Int)

        public var length: Int {
            switch self {
            case .inline(let range): range.count
            case .memfd(_, let length): length
            }
        }
    }

    /// The parts of `list`: only payload items, memfd indices below `memfdCount`, each used
    /// exactly once, the total not zero and at most `KDBusLimits.maxMemfdCarriedMessageLength`,
    /// and the bytes a reader copies — every part but the largest memfd (`splicedPart`), which
    /// is mapped — at most `maxCopiedBytes` (the broker's `max_message_size`).
    public static func parse(_ list: UnsafeRawBufferPointer, memfdCount: Int, maxCopiedBytes: Int) throws(KDBusPartsError) -> [Part] {
        let contents: KDBusSliceContents
        do { contents = try KDBusSliceReader.read(list) } catch { throw .items(error) }
        guard contents.header.sequence == 0 else { throw .reservedNotZero }
        var parts: [Part] = []
        var used = [Bool](repeating: false, count: memfdCount)
        var total = 0
        for item in contents.items {
            let part = try part(for: item, in: list, used: &used)
            // Compared before adding: a memfd length near Int.max must not overflow the sum.
            guard part.length <= KDBusLimits.maxMemfdCarriedMessageLength - total else {
                throw .tooLarge(before: total, part: part.length, limit: KDBusLimits.maxMemfdCarriedMessageLength)
            }
            total += part.length
            parts.append(part)
        }
        if let unused = used.firstIndex(of: false) { throw .memfdUnused(unused) }
        guard total > 0 else { throw .empty }
        let copied = total - (splicedPart(of: parts).map { parts[$0].length } ?? 0)
        guard copied <= maxCopiedBytes else { throw .copiedTooLarge(copied, limit: maxCopiedBytes) }
        return parts
    }

    /// The position in `parts` of the memfd part a reader maps rather than copies: the
    /// largest (the first of equals). Only one can be mapped in place, since a mapping starts
    /// on a page boundary and the bytes around it rarely end on one (`SplicedMapping`).
    public static func splicedPart(of parts: [Part]) -> Int? {
        var best: Int?
        for (position, part) in parts.enumerated() {
            guard case .memfd = part else { continue }
            if best.map({ part.length > parts[$0].length }) ?? true { best = position }
        }
        return best
    }

    private static func part(for item: KDBusItem, in list: UnsafeRawBufferPointer, used: inout [Bool]) throws(KDBusPartsError) -> Part {
        let at = item.payload.lowerBound
        switch item.type {
        case .payloadInline:
            // The slice reader checked the offset and length against the list.
            let offset = Int(list.kdbusLoad(UInt64.self, at: at))
            return .inline(offset..<offset + Int(list.kdbusLoad(UInt64.self, at: at + 8)))
        case .payloadMemfd:
            let length = list.kdbusLoad(UInt64.self, at: at)
            let index = Int(list.kdbusLoad(UInt32.self, at: at + 8))
            guard list.kdbusLoad(UInt32.self, at: at + 12) == 0 else { throw .reservedNotZero }
            guard index < used.count else { throw .memfdIndex(index, count: used.count) }
            guard !used[index] else { throw .memfdReused(index) }
            guard length > 0, length <= UInt64(Int.max) else { throw .memfdLength(index, length) }
            used[index] = true
            return .memfd(index: index, length: Int(length))
        default:
            throw .notPayload(item.rawType)
        }
    }
}

/// Why a parts list was refused; the broker ends the sender's connection with it.
public enum KDBusPartsError: Error, Sendable, Hashable, CustomStringConvertible {
    case items(KDBusItemError)
    case reservedNotZero
    case notPayload(UInt32)
    case memfdIndex(Int, count: Int)
    case memfdReused(Int)
    case memfdUnused(Int)
    case memfdLength(Int, UInt64)
    /// The parts before one add up to `before`; with that one of `part` bytes they pass `limit`
    /// (`KDBusLimits.maxMemfdCarriedMessageLength`).
    case tooLarge(before: Int, part: Int, limit: Int)
    /// The parts a reader must copy (all but the mapped memfd) add up to more than `limit`.
    case copiedTooLarge(Int, limit: Int)
    case empty

    public var description: String {
        switch self {
        case .items(let error): "\(error)"
        case .reservedNotZero: "a reserved field is not zero"
        case .notPayload(let type): "item type \(type) is not a payload item"
        case .memfdIndex(let index, let count): "memfd index \(index), but the SEND carries \(count)"
        case .memfdReused(let index): "memfd \(index) is used twice"
        case .memfdUnused(let index): "memfd \(index) is not used by any part"
        case .memfdLength(let index, let length): "memfd \(index) has item length \(length)"
        case .tooLarge(let before, let part, let limit):
            "parts add up to more than \(limit) bytes: \(before) bytes, then a part of \(part)"
        case .copiedTooLarge(let copied, let limit):
            "the parts besides the largest memfd add up to \(copied) bytes, more than max_message_size=\(limit)"
        case .empty: "the parts add up to nothing"
        }
    }
}
