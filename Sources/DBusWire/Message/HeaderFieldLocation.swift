/// Header Field Location
///
/// Where one header field sits in a validated message, as indices into the message buffer,
/// so the broker can compare a name as bytes, or cut the field out and write another.
public struct HeaderFieldLocation: Sendable, Hashable {
    /// Index of the field's code byte (the start of its struct, 8-aligned).
    public let fieldStart: Int
    /// Index just past the field's value (before any padding to the next field).
    public let fieldEnd: Int
    /// Index of the value: the first character of a string, path or signature, or the
    /// first byte of a `u`.
    public let valueOffset: Int
    /// Length of the value: characters without the NUL for strings, paths and signatures; 4 for a `u`.
    public let valueLength: Int
}
