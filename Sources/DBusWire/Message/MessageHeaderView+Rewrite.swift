/// Header Rewrite
///
/// What the broker does to every message it forwards: keep the known header fields, drop
/// unknown ones, and set SENDER to the peer's unique name so no peer can forge it.
extension MessageHeaderView {
    /// Writes this message into `writer` (reset first) with SENDER set to `sender` and
    /// unknown header fields removed; everything else is copied byte for byte. Each field
    /// starts on an 8-byte boundary in both messages, and so does the body, so the copied
    /// bytes keep their alignment. A warm writer makes this allocation-free.
    public func rewrite(sender: UnsafeRawBufferPointer, into writer: inout WireWriter) throws(WireError) {
        try rewriteHeader(sender: sender, into: &writer)
        writer.appendRaw(body)
    }

    /// Like `rewrite`, but stops before the body: `writer` ends with the padded header, and
    /// the header followed by this message's unchanged `body` is the rewritten message. A
    /// forwarder uses it to copy a large body once, straight to where it is sent from.
    public func rewriteHeader(sender: UnsafeRawBufferPointer, into writer: inout WireWriter) throws(WireError) {
        do throws(NameError) {
            try NameValidation.validate(sender, as: .busName)
        } catch {
            throw WireError(.invalidName(error), at: 0)
        }
        writer.reset(byteOrder: byteOrder)
        writer.appendRaw(UnsafeRawBufferPointer(rebasing: buffer[0..<12]))
        let fields = writer.beginArray(elementAlignment: 8)
        for code in HeaderFieldCode.allCases {
            if code == .sender {
                writer.beginStructure()
                writer.appendByte(code.rawValue)
                writer.appendByte(1)
                writer.appendByte(code.requiredTypeCode)
                writer.appendByte(0)
                try writer.appendStringBytes(sender)
            } else if let location = self[code] {
                writer.beginStructure()
                writer.appendRaw(UnsafeRawBufferPointer(rebasing: buffer[location.fieldStart..<location.fieldEnd]))
            }
        }
        try writer.endArray(fields)
        writer.pad(to: 8)
        let total = writer.count + body.count
        if total > ProtocolLimits.maxMessageLength { throw WireError(.messageTooLong(total), at: 0) }
    }
}
