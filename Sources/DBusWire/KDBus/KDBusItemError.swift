// KDBus Item Error: why a pool slice's header or items are malformed.

/// A slice broke a rule of docs/kdbus-transport.md §6–7. The slice was written by the broker,
/// but a client checks it all the same: a bug there must not become a crash here.
public struct KDBusItemError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The slice is shorter than its header, or its items run past its end.
        case truncated(needed: Int, available: Int)
        /// An item's size is smaller than its 8-byte header or above `KDBusLimits.maxItemSize`.
        case badSize(Int)
        /// A fixed-size item has the wrong payload size.
        case wrongPayloadSize(type: KDBusItemType, expected: Int, found: Int)
        /// A text item is empty or does not end in NUL.
        case unterminatedText(KDBusItemType)
        /// A payload item points outside the slice, or before the items' end.
        case payloadOutOfBounds(offset: UInt64, length: UInt64, sliceLength: Int)
        /// The slice header's reserved word is not zero.
        case reservedNotZero(UInt32)
        /// The items area length is not a multiple of 8.
        case misaligned(Int)
    }

    public var problem: Problem
    /// Byte offset in the slice where the problem was found.
    public var offset: Int

    public init(_ problem: Problem, offset: Int) {
        self.problem = problem
        self.offset = offset
    }

    public var description: String { "kdbus slice: \(problem) at slice offset \(offset)" }
}
