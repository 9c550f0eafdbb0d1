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
        if total > limits.maxMessageLength { throw WireError(.messageTooLong(total, limit: limits.maxMessageLength), at: 0) }
    }
}

// MARK: - Straight into raw memory

extension MessageHeaderView {
    /// The exact size of the header `writeRewrittenHeader` writes (padded to 8) for a
    /// SENDER of `senderLength` bytes: each kept field padded to 8, as in the original.
    public func rewrittenHeaderLength(senderLength: Int) -> Int {
        // The fields one by one rather than through `allCases`: this runs for every message.
        ProtocolLimits.fixedHeaderLength + Self.paddedTo8(Self.senderFieldLength(senderLength))
            + Self.paddedLength(path) + Self.paddedLength(interface) + Self.paddedLength(member)
            + Self.paddedLength(errorName) + Self.paddedLength(replySerialField) + Self.paddedLength(destination)
            + Self.paddedLength(signatureField) + Self.paddedLength(unixFDsField)
    }

    private static func paddedLength(_ location: HeaderFieldLocation?) -> Int {
        location.map { paddedTo8($0.fieldEnd - $0.fieldStart) } ?? 0
    }

    /// Writes the same bytes as `rewriteHeader` to `output`, which must have room for
    /// `rewrittenHeaderLength(senderLength: sender.count)` bytes, and returns that count.
    /// For a forwarder that writes each message once, straight into the receiver's queue:
    /// no writer, no second copy. Unlike `rewriteHeader` it checks nothing, so the caller
    /// must: `sender` is a valid bus name (a broker's own unique name for the peer), and
    /// the rewritten header plus the body stay within `limits.maxMessageLength`.
    public func writeRewrittenHeader(sender: UnsafeRawBufferPointer, to output: UnsafeMutableRawPointer) -> Int {
        output.copyMemory(from: buffer.baseAddress!, byteCount: 12)
        var offset = ProtocolLimits.fixedHeaderLength
        var fieldsEnd = offset
        // In code order, as `rewriteHeader` writes them; unrolled rather than a loop over
        // `allCases` through the subscript: this runs for every forwarded message.
        copyField(path, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        copyField(interface, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        copyField(member, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        copyField(errorName, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        copyField(replySerialField, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        copyField(destination, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        let senderLength = Self.senderFieldLength(sender.count)
        let field = output + offset
        zeroLastWord(of: field, paddedLength: Self.paddedTo8(senderLength))
        field.storeBytes(of: HeaderFieldCode.sender.rawValue, as: UInt8.self)
        field.storeBytes(of: 1, toByteOffset: 1, as: UInt8.self)
        field.storeBytes(of: HeaderFieldCode.sender.requiredTypeCode, toByteOffset: 2, as: UInt8.self)
        field.storeBytes(of: 0, toByteOffset: 3, as: UInt8.self)
        store(UInt32(sender.count), at: field + 4)
        if let name = sender.baseAddress { (field + 8).copyMemory(from: name, byteCount: sender.count) }
        field.storeBytes(of: 0, toByteOffset: 8 + sender.count, as: UInt8.self)
        fieldsEnd = offset + senderLength
        offset += Self.paddedTo8(senderLength)
        copyField(signatureField, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        copyField(unixFDsField, to: output, at: &offset, fieldsEnd: &fieldsEnd)
        store(UInt32(fieldsEnd - ProtocolLimits.fixedHeaderLength), at: output + 12)
        return offset
    }

    /// Copies one kept field to `output + offset`, zero-padded to 8, and moves past it.
    @inline(__always)
    private func copyField(_ location: HeaderFieldLocation?, to output: UnsafeMutableRawPointer, at offset: inout Int, fieldsEnd: inout Int) {
        guard let location else { return }
        let length = location.fieldEnd - location.fieldStart
        let padded = Self.paddedTo8(length)
        zeroLastWord(of: output + offset, paddedLength: padded)
        (output + offset).copyMemory(from: buffer.baseAddress! + location.fieldStart, byteCount: length)
        fieldsEnd = offset + length
        offset += padded
    }

    /// The padding after a field must be zero: zeroing the field's last 8-byte word before
    /// its bytes are copied over the start leaves exactly the padding zero (a field is at
    /// least 8 bytes once padded), with one store instead of a `memset` call.
    @inline(__always)
    private func zeroLastWord(of field: UnsafeMutableRawPointer, paddedLength: Int) {
        field.storeBytes(of: UInt64(0), toByteOffset: paddedLength - 8, as: UInt64.self)
    }

    private func store(_ value: UInt32, at pointer: UnsafeMutableRawPointer) {
        let ordered = byteOrder == .little ? value.littleEndian : value.bigEndian
        pointer.storeBytes(of: ordered, as: UInt32.self)
    }

    /// Code, signature `s` (three bytes), length, the name and its NUL.
    private static func senderFieldLength(_ nameLength: Int) -> Int { 8 + nameLength + 1 }

    private static func paddedTo8(_ length: Int) -> Int { (length + 7) & ~7 }
}
