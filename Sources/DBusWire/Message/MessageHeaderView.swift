/// Message Header View
///
/// The broker's zero-allocation view of one received message. Creating it validates the
/// whole message — fixed header, every header field, and the body against its signature —
/// and records the fixed fields and where each known header field's value lies, so names
/// can be compared as bytes, the sender rewritten and unknown fields dropped.
///
/// Lifetime invariant: the view keeps a pointer to the buffer; it and the `WireString`s it
/// returns are valid only while that buffer is alive and unchanged.
public struct MessageHeaderView {
    /// The whole message.
    public let buffer: UnsafeRawBufferPointer
    public let byteOrder: ByteOrder
    public let type: MessageType
    public let flags: MessageFlags
    public let serial: UInt32
    /// Length of the header fields array, as declared (offset 12).
    public let headerFieldsLength: Int
    /// Index of the body: the header, padded to 8.
    public let bodyOffset: Int
    public let bodyLength: Int
    /// The limits the message was validated against, which its body and any rewrite keep to.
    public let limits: MessageSizeLimits
    /// REPLY_SERIAL, when present.
    public private(set) var replySerial: UInt32?
    /// UNIX_FDS, or 0 when absent.
    public private(set) var unixFDCount: Int = 0
    /// True when the message has header fields with codes this implementation does not know.
    public private(set) var hasUnknownFields = false

    // One slot per known field; stored inline so that recording them allocates nothing.
    public private(set) var path: HeaderFieldLocation?
    public private(set) var interface: HeaderFieldLocation?
    public private(set) var member: HeaderFieldLocation?
    public private(set) var errorName: HeaderFieldLocation?
    public private(set) var replySerialField: HeaderFieldLocation?
    public private(set) var destination: HeaderFieldLocation?
    public private(set) var sender: HeaderFieldLocation?
    public private(set) var signatureField: HeaderFieldLocation?
    public private(set) var unixFDsField: HeaderFieldLocation?

    /// Validates `buffer`, which must hold exactly one complete message. `unixFDsReceived`
    /// is the number of fds that arrived with it; UNIX_FDS may not declare more.
    ///
    /// With `checkingBody: false` only the header (fixed header, fields, padding) is read and
    /// checked: the body bytes of `buffer` may be anything, and the caller must validate the
    /// body it will deliver with `validateBody(_:)` before anyone sees it. The kdbus path
    /// uses this to copy a body once, from the sender's arena into the receiver's pool, and
    /// validate it there (docs/kdbus-transport.md §6).
    ///
    /// `limits`: how long the message and its byte arrays may be; D-Bus's own unless the
    /// message came with memfd parts on the kdbus transport.
    public init(validating buffer: UnsafeRawBufferPointer, unixFDsReceived: Int = 0, checkingBody: Bool = true,
                limits: MessageSizeLimits = .specification) throws(WireError) {
        guard buffer.count >= ProtocolLimits.fixedHeaderLength else {
            throw WireError(.truncated(needed: ProtocolLimits.fixedHeaderLength, available: buffer.count), at: buffer.count)
        }
        guard let order = ByteOrder(rawValue: buffer[0]) else { throw WireError(.badByteOrder(buffer[0]), at: 0) }
        guard let type = MessageType(rawValue: buffer[1]) else { throw WireError(.badMessageType(buffer[1]), at: 1) }
        guard buffer[3] == ProtocolLimits.majorProtocolVersion else {
            throw WireError(.badProtocolVersion(buffer[3]), at: 3)
        }
        guard let total = try MessageFraming.messageLength(prefix: buffer, limits: limits) else {
            throw WireError(.truncated(needed: ProtocolLimits.fixedHeaderLength, available: buffer.count), at: buffer.count)
        }
        if buffer.count < total {
            throw WireError(.truncated(needed: total, available: buffer.count), at: buffer.count)
        }
        if buffer.count > total { throw WireError(.trailingBytes(buffer.count - total), at: total) }
        let serial = MessageFraming.load(buffer, at: 8, order)
        if serial == 0 { throw WireError(.serialZero, at: 8) }

        self.buffer = buffer
        self.byteOrder = order
        self.type = type
        self.flags = MessageFlags(rawValue: buffer[2])
        self.serial = serial
        self.headerFieldsLength = Int(MessageFraming.load(buffer, at: 12, order))
        self.bodyLength = Int(MessageFraming.load(buffer, at: 4, order))
        self.bodyOffset = total - bodyLength
        self.limits = limits
        try readHeaderFields()
        try checkRequiredFields()
        if unixFDCount > unixFDsReceived {
            throw WireError(.unixFDCountMismatch(declared: unixFDCount, received: unixFDsReceived), at: unixFDsField?.valueOffset ?? 0)
        }
        if checkingBody { try validateBody(body) }
    }

    /// The location of a known header field's value, when present.
    public subscript(field: HeaderFieldCode) -> HeaderFieldLocation? {
        switch field {
        case .path: return path
        case .interface: return interface
        case .member: return member
        case .errorName: return errorName
        case .replySerial: return replySerialField
        case .destination: return destination
        case .sender: return sender
        case .signature: return signatureField
        case .unixFDs: return unixFDsField
        }
    }

    /// The value of a string, path or signature field, as a view into the buffer.
    public func string(_ field: HeaderFieldCode) -> WireString? {
        guard let location = self[field] else { return nil }
        return WireString(bytes: UnsafeRawBufferPointer(rebasing: buffer[location.valueOffset..<(location.valueOffset + location.valueLength)]))
    }

    /// The body signature's bytes; empty when the message has no SIGNATURE field.
    public var signature: WireString {
        string(.signature) ?? WireString(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<0]))
    }

    /// The body bytes.
    public var body: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[bodyOffset..<(bodyOffset + bodyLength)])
    }

    // MARK: - Validation

    private mutating func readHeaderFields() throws(WireError) {
        let fieldsEnd = ProtocolLimits.fixedHeaderLength + headerFieldsLength
        // Reads may run into the header padding so that a field overrunning the declared
        // length is reported as such rather than as truncation.
        var reader = WireReader(buffer: buffer, byteOrder: byteOrder, position: ProtocolLimits.fixedHeaderLength, limit: bodyOffset)
        var seen: UInt16 = 0
        while reader.position < fieldsEnd {
            try reader.beginStructure()
            let fieldStart = reader.position
            let code = try reader.readByte()
            if code == 0 { throw WireError(.invalidHeaderFieldCode, at: fieldStart) }
            guard let known = HeaderFieldCode(rawValue: code) else {
                hasUnknownFields = true
                try reader.validateVariant(depth: 1)
                continue
            }
            if seen & (1 << code) != 0 { throw WireError(.duplicateHeaderField(known), at: fieldStart) }
            seen |= 1 << code
            let location = try readKnownField(known, from: &reader, fieldStart: fieldStart)
            store(location, for: known)
        }
        if reader.position != fieldsEnd {
            throw WireError(.headerFieldsLength(headerFieldsLength), at: reader.position)
        }
        var padding = WireReader(buffer: buffer, byteOrder: byteOrder, position: fieldsEnd, limit: bodyOffset)
        try padding.align(8)
    }

    /// Reads a known field's variant: its signature must be exactly the required type code.
    private mutating func readKnownField(
        _ field: HeaderFieldCode, from reader: inout WireReader, fieldStart: Int
    ) throws(WireError) -> HeaderFieldLocation {
        let signatureAt = reader.position
        // The variant's signature is almost always exactly the one code the field requires:
        // stepped over without the general signature check (~100 instructions a field).
        if !reader.skipSignature(ofBasicType: field.requiredTypeCode) {
            let signature = try reader.readSignature()
            guard signature.count == 1, signature.bytes[0] == field.requiredTypeCode else {
                throw WireError(.headerFieldWrongType(field: field, found: signature.string), at: signatureAt)
            }
        }
        let valueStart = reader.position
        switch field.requiredTypeCode {
        case TypeCode.uint32:
            let value = try reader.readUInt32()
            try check(field, value: value, at: reader.position - 4)
            return HeaderFieldLocation(fieldStart: fieldStart, fieldEnd: reader.position, valueOffset: reader.position - 4, valueLength: 4)
        case TypeCode.signature:
            let value = try reader.readSignature()
            return location(fieldStart, reader.position, length: value.count)
        default:
            // Every string field is a name or path, checked against its grammar here.
            let value = try reader.readNameBytes()
            if let kind = field.nameKind {
                do throws(NameError) {
                    try NameValidation.validate(value.bytes, as: kind)
                } catch {
                    throw WireError(.invalidName(error), at: valueStart)
                }
            }
            if Self.isReservedLocal(field, value) { throw WireError(.reservedLocalName(field), at: valueStart) }
            return location(fieldStart, reader.position, length: value.count)
        }
    }

    static func isReservedLocal(_ field: HeaderFieldCode, _ value: WireString) -> Bool {
        switch field {
        case .path: return value == "/org/freedesktop/DBus/Local" as StaticString
        case .interface: return value == "org.freedesktop.DBus.Local" as StaticString
        default: return false
        }
    }

    /// A string-like field: its characters end just before the NUL that ends the field.
    private func location(_ fieldStart: Int, _ fieldEnd: Int, length: Int) -> HeaderFieldLocation {
        HeaderFieldLocation(fieldStart: fieldStart, fieldEnd: fieldEnd, valueOffset: fieldEnd - 1 - length, valueLength: length)
    }

    private mutating func check(_ field: HeaderFieldCode, value: UInt32, at offset: Int) throws(WireError) {
        if field == .replySerial {
            if value == 0 { throw WireError(.serialZero, at: offset) }
            replySerial = value
        } else {
            if value > ProtocolLimits.maxUnixFDsPerMessage { throw WireError(.tooManyUnixFDs(Int(value)), at: offset) }
            unixFDCount = Int(value)
        }
    }

    private mutating func store(_ location: HeaderFieldLocation, for field: HeaderFieldCode) {
        switch field {
        case .path: path = location
        case .interface: interface = location
        case .member: member = location
        case .errorName: errorName = location
        case .replySerial: replySerialField = location
        case .destination: destination = location
        case .sender: sender = location
        case .signature: signatureField = location
        case .unixFDs: unixFDsField = location
        }
    }

    private func checkRequiredFields() throws(WireError) {
        switch type {
        case .methodCall: if path == nil { throw missing(.path) }; if member == nil { throw missing(.member) }
        case .methodReturn: if replySerialField == nil { throw missing(.replySerial) }
        case .error:
            if errorName == nil { throw missing(.errorName) }
            if replySerialField == nil { throw missing(.replySerial) }
        case .signal:
            if path == nil { throw missing(.path) }
            if interface == nil { throw missing(.interface) }
            if member == nil { throw missing(.member) }
        }
    }

    private func missing(_ field: HeaderFieldCode) -> WireError {
        WireError(.missingHeaderField(field, messageType: type), at: ProtocolLimits.fixedHeaderLength)
    }

    /// Checks `body` (exactly `bodyLength` bytes, wherever they lie) against this header's
    /// signature, byte order and UNIX_FDS. The body starts 8-aligned in every message, so
    /// alignment inside it is the same whether it is read in place or on its own; error
    /// offsets count from the message start.
    public func validateBody(_ body: UnsafeRawBufferPointer) throws(WireError) {
        guard body.count == bodyLength else {
            throw WireError(.bodyLengthMismatch(declared: bodyLength, used: body.count), at: bodyOffset)
        }
        var reader = WireReader(buffer: body, byteOrder: byteOrder, position: 0, limit: bodyLength, unixFDCount: unixFDCount)
        reader.maxByteArrayLength = limits.maxByteArrayLength
        do {
            try reader.validateValues(signature: signature.bytes)
        } catch {
            throw WireError(error.rule, at: bodyOffset + error.offset)
        }
        if reader.position != bodyLength {
            throw WireError(.bodyLengthMismatch(declared: bodyLength, used: reader.position), at: bodyOffset + reader.position)
        }
    }
}

extension HeaderFieldCode {
    /// The grammar a string field's value must follow, if any.
    var nameKind: NameKind? {
        switch self {
        case .path: return .objectPath
        case .interface: return .interfaceName
        case .member: return .memberName
        case .errorName: return .errorName
        case .destination, .sender: return .busName
        case .replySerial, .signature, .unixFDs: return nil
        }
    }
}
