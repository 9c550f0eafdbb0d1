// KDBus Metadata Error: why a slice's metadata items cannot be decoded.

/// A slice's metadata broke a rule of docs/kdbus-transport.md §7. The broker wrote it, but a
/// client checks all the same, so a broker bug becomes a clear error, not a wrong value.
public struct KDBusMetadataError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The slice's header or item framing is malformed.
        case slice(KDBusItemError.Problem)
        /// A metadata item appears twice.
        case duplicateItem(KDBusItemType)
        /// A word the layout reserves is not zero.
        case reservedNotZero(KDBusItemType, UInt32)
        /// The groups item's payload is not a whole number of u32.
        case groupsSize(Int)
        /// The names item holds an empty name ("\0\0").
        case emptyName
    }

    public var problem: Problem
    /// Byte offset in the slice of the offending item (or header field).
    public var offset: Int

    public init(_ problem: Problem, offset: Int) {
        self.problem = problem
        self.offset = offset
    }

    init(_ error: KDBusItemError) {
        self.init(.slice(error.problem), offset: error.offset)
    }

    public var description: String { "kdbus metadata: \(problem) at slice offset \(offset)" }
}
