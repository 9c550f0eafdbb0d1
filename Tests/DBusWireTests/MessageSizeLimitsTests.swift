// Message Size Limits Tests: D-Bus's limits, and the kdbus transport's for memfd-carried messages.
import DBusWire
import Testing

@Suite("message size limits")
struct MessageSizeLimitsTests {
    static func signal(_ body: [DBusValue]) -> Message {
        var message = Message.signal(path: "/a", interface: "a.b", member: "C", body: body)
        message.serial = 1
        return message
    }

    static func validate(_ bytes: [UInt8], limits: MessageSizeLimits) throws(WireError) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) in _ = try MessageHeaderView(validating: raw, limits: limits) }
        }.get()
    }

    @Test("an ay past 64 MiB: refused by D-Bus's limits with the limit named, accepted by the memfd-carried ones, both ways")
    func byteArrayPastSpecification() throws {
        let payload = [UInt8](repeating: 5, count: ProtocolLimits.maxArrayLength + 1)
        let message = Self.signal([.bytes(payload)])
        let unsent = #expect(throws: WireError.self) { _ = try message.encoded() }
        #expect(unsent?.rule == .arrayTooLong(payload.count, limit: ProtocolLimits.maxArrayLength))
        let bytes = try message.encoded(limits: .memfdCarried)
        let refused = #expect(throws: WireError.self) { try Self.validate(bytes, limits: .specification) }
        #expect(refused?.rule == .arrayTooLong(payload.count, limit: ProtocolLimits.maxArrayLength))
        #expect(refused?.rule.isLengthLimit == true)
        try Self.validate(bytes, limits: .memfdCarried)
        #expect(try Message(decoding: bytes, limits: .memfdCarried).body == [.bytes(payload)])
        #expect(throws: WireError.self) { try Message(decoding: bytes) }
    }

    @Test("other arrays keep the 64 MiB limit under the memfd-carried limits: they are read element by element")
    func otherArraysKeepTheirLimit() throws {
        var bytes = try Self.signal([.array(element: .uint32, [.uint32(1)])]).encoded()
        let bodyStart = bytes.count - 8
        let declared = UInt32(ProtocolLimits.maxArrayLength + 4)
        withUnsafeBytes(of: declared.littleEndian) { for (i, byte) in $0.enumerated() { bytes[bodyStart + i] = byte } }
        let error = #expect(throws: WireError.self) { try Self.validate(bytes, limits: .memfdCarried) }
        #expect(error?.rule == .arrayTooLong(Int(declared), limit: ProtocolLimits.maxArrayLength))

        var writer = WireWriter()
        writer.maxByteArrayLength = MessageSizeLimits.memfdCarried.maxByteArrayLength
        let mark = writer.beginArray(elementAlignment: 4)
        for _ in 0..<(ProtocolLimits.maxArrayLength / 4 + 1) { writer.appendUInt32(1) }
        let written = #expect(throws: WireError.self) { try writer.endArray(mark) }
        #expect(written?.rule == .arrayTooLong(ProtocolLimits.maxArrayLength + 4, limit: ProtocolLimits.maxArrayLength))
    }

    @Test("a declared length past 2 GiB is refused from the fixed header alone, under either limits")
    func messagePastMemfdCarried() {
        var prefix: [UInt8] = [UInt8(ascii: "l"), 4, 0, 1]
        prefix += withUnsafeBytes(of: UInt32(1 << 31).littleEndian, Array.init)  // body length
        prefix += [1, 0, 0, 0, 0, 0, 0, 0]
        for limits in [MessageSizeLimits.specification, .memfdCarried] {
            let error = #expect(throws: WireError.self) {
                _ = try prefix.withUnsafeBytes { raw in try MessageFraming.messageLength(prefix: raw, limits: limits) }
            }
            #expect(error?.rule == .messageTooLong((1 << 31) + 16, limit: limits.maxMessageLength))
        }
    }

    @Test("only byte arrays may take a message past 128 MiB: a longer string is refused before its bytes are read, after an ay too")
    func onlyByteArraysPassTheLimit() throws {
        let long = String(repeating: "a", count: ProtocolLimits.maxMessageLength + 1)
        let unsent = #expect(throws: WireError.self) { _ = try Self.signal([.string(long)]).encoded(limits: .memfdCarried) }
        #expect(unsent?.rule == .tooLongOutsideByteArrays(ProtocolLimits.maxMessageLength + 6, limit: ProtocolLimits.maxMessageLength))
        // Marshalled by hand past the writer's check, a reader refuses it too.
        var bytes = try Self.signal([.string("x")]).encoded()
        let bodyStart = bytes.count - 6  // "x": length, the byte, the NUL
        bytes.removeLast(6)
        bytes += withUnsafeBytes(of: UInt32(long.utf8.count).littleEndian, Array.init) + Array(long.utf8) + [0]
        withUnsafeBytes(of: UInt32(bytes.count - bodyStart).littleEndian) { for (i, byte) in $0.enumerated() { bytes[4 + i] = byte } }
        bytes[bytes.count - 2] = 0xFF  // invalid UTF-8 at the string's end: never reached
        let refused = #expect(throws: WireError.self) { try Self.validate(bytes, limits: .memfdCarried) }
        #expect(refused?.rule == .tooLongOutsideByteArrays(ProtocolLimits.maxMessageLength + 5, limit: ProtocolLimits.maxMessageLength))

        // The same length as an ay, then a string: the ay's contents are not counted.
        let payload = [UInt8](repeating: 1, count: ProtocolLimits.maxMessageLength + 1)
        let mixed = try Self.signal([.bytes(payload), .string("after")]).encoded(limits: .memfdCarried)
        try Self.validate(mixed, limits: .memfdCarried)
        #expect(try Message(decoding: mixed, limits: .memfdCarried).body == [.bytes(payload), .string("after")])
    }

    @Test("a body of exactly 128 MiB outside byte arrays validates and decodes alike: the header is not counted")
    func validationAndDecodingAgreeAtTheEdge() throws {
        // u32 length + string + NUL = exactly 128 MiB of body; with the header, past 128 MiB.
        let text = String(repeating: "b", count: ProtocolLimits.maxMessageLength - 5)
        var message = Message.signal(path: "/a", interface: "a.b", member: "C", body: [.string(text)])
        message.serial = 1
        let bytes = try message.encoded(limits: .memfdCarried)
        #expect(throws: WireError.self) { try Self.validate(bytes, limits: .specification) }
        try Self.validate(bytes, limits: .memfdCarried)
        let decoded = try Message(decoding: bytes, limits: .memfdCarried)
        #expect(decoded.body.count == 1)
    }
}
