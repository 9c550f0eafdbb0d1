/// Message Framing
///
/// Finds message boundaries in a byte stream: from the fixed 16-byte prefix, the total
/// length of the message, so a reader knows how much to wait for before validating.
public enum MessageFraming {
    /// The total length of the message that starts `prefix`, or nil while fewer than
    /// `ProtocolLimits.fixedHeaderLength` bytes are available. Rejects what can be rejected
    /// this early: a bad byte order, and lengths that would exceed the limits (so a peer
    /// cannot make us buffer more than `limits.maxMessageLength`).
    public static func messageLength(prefix: UnsafeRawBufferPointer, limits: MessageSizeLimits = .specification) throws(WireError) -> Int? {
        guard prefix.count >= ProtocolLimits.fixedHeaderLength else { return nil }
        guard let order = ByteOrder(rawValue: prefix[0]) else {
            throw WireError(.badByteOrder(prefix[0]), at: 0)
        }
        let bodyLength = Int(load(prefix, at: 4, order))
        let fieldsLength = Int(load(prefix, at: 12, order))
        if fieldsLength > ProtocolLimits.maxArrayLength {
            throw WireError(.arrayTooLong(fieldsLength, limit: ProtocolLimits.maxArrayLength), at: 12)
        }
        let headerLength = ProtocolLimits.fixedHeaderLength + fieldsLength
        let total = ((headerLength + 7) & ~7) + bodyLength
        if total > limits.maxMessageLength { throw WireError(.messageTooLong(total, limit: limits.maxMessageLength), at: 4) }
        return total
    }

    /// The body length the fixed header at the start of `message` declares, or nil when there
    /// is no valid fixed header. Checks nothing else: for a message already validated or
    /// marshalled by the caller, whose body it wants to find.
    public static func declaredBodyLength(_ message: UnsafeRawBufferPointer) -> Int? {
        guard message.count >= ProtocolLimits.fixedHeaderLength, let order = ByteOrder(rawValue: message[0]) else { return nil }
        return Int(load(message, at: 4, order))
    }

    /// A `UInt32` of the fixed header; the caller guarantees the 16 bytes are there.
    @inline(__always) static func load(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ order: ByteOrder) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return order == .little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
    }
}
