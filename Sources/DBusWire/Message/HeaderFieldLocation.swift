/// Header Field Location
///
/// Where one header field sits in a validated message, as indices into the message buffer,
/// so the broker can compare a name as bytes, or cut the field out and write another.
public struct HeaderFieldLocation: Sendable, Hashable {
    // Stored as 32-bit indices: a message is at most `ProtocolLimits.maxMessageLength`
    // (128 MiB) long, so every index fits, and `MessageHeaderView` (nine of these) halves in
    // size — it is copied several times per routed message.
    private let start: UInt32
    private let end: UInt32
    private let offset: UInt32
    private let length: UInt32

    /// Index of the field's code byte (the start of its struct, 8-aligned).
    public var fieldStart: Int { Int(start) }
    /// Index just past the field's value (before any padding to the next field).
    public var fieldEnd: Int { Int(end) }
    /// Index of the value: the first character of a string, path or signature, or the
    /// first byte of a `u`.
    public var valueOffset: Int { Int(offset) }
    /// Length of the value: characters without the NUL for strings, paths and signatures; 4 for a `u`.
    public var valueLength: Int { Int(length) }

    /// Indices within one validated message, so each is at most `ProtocolLimits.maxMessageLength`.
    init(fieldStart: Int, fieldEnd: Int, valueOffset: Int, valueLength: Int) {
        start = UInt32(truncatingIfNeeded: fieldStart)
        end = UInt32(truncatingIfNeeded: fieldEnd)
        offset = UInt32(truncatingIfNeeded: valueOffset)
        length = UInt32(truncatingIfNeeded: valueLength)
    }
}
