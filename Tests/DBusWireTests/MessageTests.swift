// Message Tests
import Testing
@testable import DBusWire

@Suite struct MessageTests {
    /// `Hello` as we encode it (fields in ascending code order); GDBus 2.x parses it to the same fields.
    static let helloLittle = Hex.bytes(
        "6c01000100000000010000006d00000001016f00150000002f6f72672f667265656465736b746f702f4442757300000002017300140000006f72672e667265656465736b746f702e4442757300000000030173000500000048656c6c6f00000006017300140000006f72672e667265656465736b746f702e4442757300000000")

    /// Produced by GDBus (`g_dbus_message_to_blob`), big-endian, its own field order (1,2,6,8,3), body `sa{sv}ay`.
    static let gdbusBigEndian = Hex.bytes(
        "4201000100000047000000070000006c01016f00000000102f6f72672f6578616d706c652f4f626a000000000000000002017300000000116f72672e6578616d706c652e49666163650000000000000006017300000000043a312e3700000000080167000873617b73767d617900000003017300000000035365740000000000000000036b6579000000002f00000000000000016100016900000000fffffffd0000000162000261730000000000000f000000017800000000000002797a000000000003010203")

    static let setCall = Message.methodCall(
        path: "/org/example/Obj", interface: "org.example.Iface", member: "Set", destination: ":1.7",
        body: [
            .string("key"),
            .dictionary(key: .string, value: .variant, [
                DBusDictEntry(key: .string("a"), value: .variant(.int32(-3))),
                DBusDictEntry(key: .string("b"), value: .variant(.array(element: .string, [.string("x"), .string("yz")]))),
            ]),
            .bytes([1, 2, 3]),
        ], serial: 7)

    @Test func encodesHelloByteExact() throws {
        var hello = Message.methodCall(
            path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello",
            destination: "org.freedesktop.DBus", serial: 1)
        hello.byteOrder = .little
        #expect(try hello.encoded() == Self.helloLittle)
        #expect(try Message(decoding: Self.helloLittle) == hello)
    }

    @Test func decodesAGDBusMessageWithFieldsInAnyOrder() throws {
        var expected = Self.setCall
        expected.byteOrder = .big
        let decoded = try Message(decoding: Self.gdbusBigEndian)
        #expect(decoded == expected)
        #expect(decoded.signature.string == "sa{sv}ay")
    }

    @Test func headerViewLocatesFieldsForByteComparison() throws {
        try Self.gdbusBigEndian.withUnsafeBytes { raw throws in
            let view = try MessageHeaderView(validating: raw)
            #expect(view.type == .methodCall)
            #expect(view.serial == 7)
            #expect(view.byteOrder == .big)
            #expect(view.string(.member)! == "Set" as StaticString)
            #expect(view.string(.destination)! == ":1.7" as StaticString)
            #expect(view.signature == "sa{sv}ay" as StaticString)
            #expect(view.sender == nil)
            #expect(!view.hasUnknownFields)
            let member = try #require(view.member)
            #expect(raw[member.fieldStart] == HeaderFieldCode.member.rawValue)
            #expect(member.fieldStart % 8 == 0)
            #expect(view.bodyOffset % 8 == 0)
            #expect(view.bodyOffset + view.bodyLength == raw.count)
        }
    }

    @Test(arguments: ByteOrder.allCases)
    func repliesAndSignalsRoundTrip(order: ByteOrder) throws {
        var call = Self.setCall
        call.sender = ":1.9"
        var messages = [
            Message.methodReturn(replyTo: call, body: [.uint32(1)], serial: 8),
            Message.error(replyTo: call, name: "org.example.Error.Nope", message: "no", serial: 9),
            Message.signal(path: "/a", interface: "a.b", member: "Changed", body: [.variant(.boolean(false))], serial: 10),
            call,
        ]
        for i in messages.indices { messages[i].byteOrder = order }
        for message in messages {
            #expect(try Message(decoding: message.encoded()) == message)
        }
        #expect(messages[0].destination == ":1.9")
        #expect(messages[1].replySerial == 7)
    }

    @Test func unknownHeaderFieldsAreAcceptedAndSkipped() throws {
        // Hello with an extra field, code 200, holding a variant "(su)".
        var bytes = Self.helloLittle
        let extra: [UInt8] = [0, 0, 0, 200, 4] + Array("(su)".utf8) + [0, 0] + [1, 0, 0, 0, 0x7A, 0, 0, 0] + [5, 0, 0, 0]
        bytes.removeLast(3)  // header padding
        bytes += extra
        bytes[12] = UInt8(0x6D + extra.count)
        while bytes.count % 8 != 0 { bytes.append(0) }
        let decoded = try Message(decoding: bytes)
        #expect(decoded.member == "Hello")
        try bytes.withUnsafeBytes { raw throws in
            #expect(try MessageHeaderView(validating: raw).hasUnknownFields)
        }
    }

    @Test func framingFindsTheLengthFromSixteenBytes() throws {
        try Self.gdbusBigEndian.withUnsafeBytes { raw throws in
            #expect(try MessageFraming.messageLength(prefix: UnsafeRawBufferPointer(rebasing: raw[0..<15])) == nil)
            #expect(try MessageFraming.messageLength(prefix: UnsafeRawBufferPointer(rebasing: raw[0..<16])) == raw.count)
        }
    }

    @Test func encodingRefusesWhatAReceiverWouldReject() {
        let noSerial = Message.methodCall(path: "/", member: "M")
        #expect(wireError { () throws(WireError) in _ = try noSerial.encoded() }?.rule == .serialZero)
        var noMember = Message(type: .signal, serial: 1, path: "/", interface: "a.b")
        #expect(wireError { () throws(WireError) in _ = try noMember.encoded() }?.rule == .missingHeaderField(.member, messageType: .signal))
        noMember.member = "9bad"
        #expect(wireError { () throws(WireError) in _ = try noMember.encoded() }?.rule
            == .invalidName(NameError(kind: .memberName, rule: .elementStartsWithDigit, offset: 0)))
    }

    @Test func unixFDsMustHaveArrived() throws {
        let message = Message(type: .signal, serial: 1, path: "/", interface: "a.b", member: "M", unixFDCount: 1, body: [.unixFD(0)])
        let bytes = try message.encoded()
        #expect(try Message(decoding: bytes, unixFDsReceived: 1) == message)
        #expect(wireError { () throws(WireError) in _ = try Message(decoding: bytes) }?.rule
            == .unixFDCountMismatch(declared: 1, received: 0))
    }
}

@Suite struct HeaderRewriteTests {
    @Test(arguments: ByteOrder.allCases)
    func rewriteSetsSenderAndKeepsEverythingElse(order: ByteOrder) throws {
        var original = MessageTests.setCall
        original.byteOrder = order
        original.sender = ":1.666"  // forged; must be replaced
        let bytes = try original.encoded()
        var writer = WireWriter(byteOrder: .little)
        try withRaw(bytes) { raw throws(WireError) in
            let view = try MessageHeaderView(validating: raw)
            try withRaw(Array(":1.42".utf8)) { sender throws(WireError) in try view.rewrite(sender: sender, into: &writer) }
        }
        var expected = original
        expected.sender = ":1.42"
        #expect(try Message(decoding: writer.bytes) == expected)
    }

    @Test func rewriteDropsUnknownFields() throws {
        var bytes = MessageTests.helloLittle
        let extra: [UInt8] = [0, 0, 0, 200, 1, UInt8(ascii: "y"), 0, 9]
        bytes.removeLast(3)
        bytes += extra
        bytes[12] = UInt8(0x6D + extra.count)
        while bytes.count % 8 != 0 { bytes.append(0) }
        var writer = WireWriter(byteOrder: .little)
        try withRaw(bytes) { raw throws(WireError) in
            let view = try MessageHeaderView(validating: raw)
            #expect(view.hasUnknownFields)
            try withRaw(Array(":1.1".utf8)) { sender throws(WireError) in try view.rewrite(sender: sender, into: &writer) }
        }
        try withRaw(writer.bytes) { raw throws(WireError) in
            let view = try MessageHeaderView(validating: raw)
            #expect(!view.hasUnknownFields)
            #expect(view.string(.sender)! == ":1.1" as StaticString)
            #expect(view.string(.member)! == "Hello" as StaticString)
        }
    }

    @Test("writing the rewritten header to raw memory gives rewriteHeader's bytes exactly", arguments: ByteOrder.allCases)
    func rawRewriteMatchesWriter(order: ByteOrder) throws {
        var forged = MessageTests.setCall
        forged.byteOrder = order
        forged.sender = ":1.666"
        var reply = Message(type: .methodReturn, serial: 9, replySerial: 3, destination: ":1.7", body: [.string("x")])
        reply.byteOrder = order
        var unknown = MessageTests.helloLittle
        let extra: [UInt8] = [0, 0, 0, 200, 1, UInt8(ascii: "y"), 0, 9]
        unknown.removeLast(3)
        unknown += extra
        unknown[12] = UInt8(0x6D + extra.count)
        while unknown.count % 8 != 0 { unknown.append(0) }
        for bytes in [try forged.encoded(), try reply.encoded(), unknown] {
            for name in [":1.42", ":1.18446744073709551615", ":1.0"] {
                var writer = WireWriter(byteOrder: .little)
                var raw = [UInt8](repeating: 0xEE, count: 512)
                var written = 0
                var expectedLength = 0
                try withRaw(bytes) { message throws(WireError) in
                    let view = try MessageHeaderView(validating: message)
                    try withRaw(Array(name.utf8)) { sender throws(WireError) in
                        try view.rewriteHeader(sender: sender, into: &writer)
                        expectedLength = view.rewrittenHeaderLength(senderLength: sender.count)
                        written = raw.withUnsafeMutableBytes { destination in
                            view.writeRewrittenHeader(sender: sender, to: destination.baseAddress! + 3)
                        }
                    }
                }
                #expect(written == writer.bytes.count)
                #expect(expectedLength == written)
                #expect(Array(raw[3..<(3 + written)]) == writer.bytes)
                #expect(raw[3 + written] == 0xEE)
            }
        }
    }

    @Test func rewriteRefusesAnInvalidSender() throws {
        var writer = WireWriter(byteOrder: .little)
        let error = wireError { () throws(WireError) in
            try withRaw(MessageTests.helloLittle) { raw throws(WireError) in
                let view = try MessageHeaderView(validating: raw)
                try withRaw(Array("nodots".utf8)) { sender throws(WireError) in try view.rewrite(sender: sender, into: &writer) }
            }
        }
        #expect(error?.rule == .invalidName(NameError(kind: .busName, rule: .tooFewElements, offset: 0)))
    }
}
