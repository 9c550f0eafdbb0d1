/// Message Encoding
///
/// Marshals a `Message`: fixed header, header fields in ascending code order, padding, body.
/// The order is ours to choose: dbus-fast writes ascending order too, while libdbus writes
/// fields in the order they were set and GDBus in hash-table order, so vectors from those two
/// are compared field by field rather than whole (see WireVectorTests).
extension Message {
    /// The message as bytes, in `byteOrder`. Throws when the message breaks a rule a
    /// receiver would reject it for: serial 0, a missing required field, a bad name, a bad
    /// value, a length past `limits`.
    public func encoded(limits: MessageSizeLimits = .specification) throws(WireError) -> [UInt8] {
        var writer = WireWriter(byteOrder: byteOrder)
        try encode(into: &writer, limits: limits)
        return writer.bytes
    }

    /// The message as bytes with its byte arrays of at least `holeThreshold` bytes left out,
    /// and those arrays' contents with where they belong (`WireHole`): for the kdbus
    /// transport, which sends them as memfds and so need not copy them into the message first.
    public func encodedWithHoles(limits: MessageSizeLimits, holeThreshold: Int) throws(WireError) -> (bytes: [UInt8], holes: [WireHole]) {
        var writer = WireWriter(byteOrder: byteOrder)
        try encode(into: &writer, limits: limits, holeThreshold: holeThreshold)
        return (writer.bytes, writer.holes)
    }

    /// Marshals into `writer` (reset first), so a connection can reuse one buffer.
    public func encode(into writer: inout WireWriter, limits: MessageSizeLimits = .specification,
                       holeThreshold: Int = .max) throws(WireError) {
        writer.reset(byteOrder: byteOrder)
        writer.maxByteArrayLength = limits.maxByteArrayLength
        writer.holeThreshold = holeThreshold
        try checkHeader()
        writer.appendByte(byteOrder.rawValue)
        writer.appendByte(type.rawValue)
        writer.appendByte(flags.rawValue)
        writer.appendByte(ProtocolLimits.majorProtocolVersion)
        writer.appendUInt32(0)  // body length, patched below
        writer.appendUInt32(serial)
        let fields = writer.beginArray(elementAlignment: 8)
        try appendField(.path, path, into: &writer)
        try appendField(.interface, interface, into: &writer)
        try appendField(.member, member, into: &writer)
        try appendField(.errorName, errorName, into: &writer)
        if let replySerial { appendField(.replySerial, replySerial, into: &writer) }
        try appendField(.destination, destination, into: &writer)
        try appendField(.sender, sender, into: &writer)
        if !body.isEmpty {
            writer.beginStructure()
            writer.appendByte(HeaderFieldCode.signature.rawValue)
            try writer.appendSignature(Signature(types: [.signature]))
            try writer.appendSignature(signature)
        }
        if unixFDCount > 0 { appendField(.unixFDs, UInt32(unixFDCount), into: &writer) }
        try writer.endArray(fields)
        writer.pad(to: 8)
        let bodyStart = writer.count
        for value in body { try writer.append(value) }
        let total = writer.count
        if total > limits.maxMessageLength { throw WireError(.messageTooLong(total, limit: limits.maxMessageLength), at: 0) }
        // As a reader checks (`WireReader.checkExamined`): only `ay` contents may pass 128 MiB.
        let examined = total - bodyStart - writer.byteArrayBytes
        if examined > ProtocolLimits.maxMessageLength {
            throw WireError(.tooLongOutsideByteArrays(examined, limit: ProtocolLimits.maxMessageLength), at: bodyStart)
        }
        patchBodyLength(total - bodyStart, in: &writer)
    }

    private func checkHeader() throws(WireError) {
        if serial == 0 { throw WireError(.serialZero, at: 8) }
        if replySerial == 0 { throw WireError(.serialZero, at: ProtocolLimits.fixedHeaderLength) }
        if unixFDCount < 0 || unixFDCount > ProtocolLimits.maxUnixFDsPerMessage {
            throw WireError(.tooManyUnixFDs(unixFDCount), at: ProtocolLimits.fixedHeaderLength)
        }
        let has: (HeaderFieldCode) -> Bool = { field in
            switch field {
            case .path: return path != nil
            case .interface: return interface != nil
            case .member: return member != nil
            case .errorName: return errorName != nil
            case .replySerial: return replySerial != nil
            default: return true
            }
        }
        for field in Message.requiredFields(for: type) where !has(field) {
            throw WireError(.missingHeaderField(field, messageType: type), at: ProtocolLimits.fixedHeaderLength)
        }
    }

    /// The fields the specification requires for each message type.
    static func requiredFields(for type: MessageType) -> [HeaderFieldCode] {
        switch type {
        case .methodCall: return [.path, .member]
        case .methodReturn: return [.replySerial]
        case .error: return [.errorName, .replySerial]
        case .signal: return [.path, .interface, .member]
        }
    }

    private func appendField(_ field: HeaderFieldCode, _ value: String?, into writer: inout WireWriter) throws(WireError) {
        guard let value else { return }
        let kind = field.nameKind ?? .busName
        do throws(NameError) {
            try NameValidation.validate(value, as: kind)
        } catch {
            throw WireError(.invalidName(error), at: writer.count)
        }
        if (field == .path && value == "/org/freedesktop/DBus/Local") || (field == .interface && value == "org.freedesktop.DBus.Local") {
            throw WireError(.reservedLocalName(field), at: writer.count)
        }
        writer.beginStructure()
        writer.appendByte(field.rawValue)
        writer.appendByte(1)
        writer.appendByte(field.requiredTypeCode)
        writer.appendByte(0)
        try writer.appendString(value)
    }

    private func appendField(_ field: HeaderFieldCode, _ value: UInt32, into writer: inout WireWriter) {
        writer.beginStructure()
        writer.appendByte(field.rawValue)
        writer.appendByte(1)
        writer.appendByte(field.requiredTypeCode)
        writer.appendByte(0)
        writer.appendUInt32(value)
    }

    private func patchBodyLength(_ length: Int, in writer: inout WireWriter) {
        var patch = WireWriter(byteOrder: byteOrder, reservingCapacity: 4)
        patch.appendUInt32(UInt32(length))
        writer.overwrite(at: 4, with: patch.bytes)
    }
}
