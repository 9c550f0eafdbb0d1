// Pool Slice: a byte range of a receive pool or send arena.

/// A range of a pool or arena: where it starts and how long it is. A plain value (not an
/// owner): the pool's allocator is the owner, and the offset is what travels in RECV and
/// FREE records, which is how the client gives it back.
public struct PoolSlice: Sendable, Hashable, CustomStringConvertible {
    public let offset: Int
    public let length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    public var end: Int { offset + length }
    public var description: String { "[\(offset), +\(length))" }
}
