/// Wire Array
///
/// The span of an array's elements in a buffer being read: indices into the reader's
/// buffer, valid as long as the buffer is (see `WireReader`).
public struct WireArray: Sendable, Hashable {
    /// Index of the first element (after the length and its padding).
    public let start: Int
    /// Index just past the last element.
    public let end: Int

    /// Length of the elements in bytes, as declared.
    public var count: Int { end - start }
}
