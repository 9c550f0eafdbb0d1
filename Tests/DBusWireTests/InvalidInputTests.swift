// Invalid Input Tests
import Testing
@testable import DBusWire

/// Builds messages field by field, including ones no encoder would produce.
struct RawMessage {
    typealias Write = @Sendable (inout WireWriter) -> Void
    var order: ByteOrder = .little
    var type: UInt8 = MessageType.signal.rawValue
    var version: UInt8 = 1
    var serial: UInt32 = 1
    var fields: [(code: UInt8, signature: String, value: Write)] = [
        (1, "o", { try! $0.appendObjectPath("/") }),
        (2, "s", { try! $0.appendString("a.b") }),
        (3, "s", { try! $0.appendString("M") }),
    ]
    var bodySignature: String?
    var body: Write = { _ in }
    var patch: @Sendable (inout [UInt8], ByteOrder) -> Void = { _, _ in }

    func bytes() -> [UInt8] {
        var w = WireWriter(byteOrder: order)
        w.appendByte(order.rawValue)
        w.appendByte(type)
        w.appendByte(0)
        w.appendByte(version)
        w.appendUInt32(0)
        w.appendUInt32(serial)
        let array = w.beginArray(elementAlignment: 8)
        var all = fields
        if let bodySignature { all.append((8, "g", { Self.rawSignature(bodySignature, into: &$0) })) }
        for field in all {
            w.beginStructure()
            w.appendByte(field.code)
            Self.rawSignature(field.signature, into: &w)
            field.value(&w)
        }
        try! w.endArray(array)
        w.pad(to: 8)
        let bodyStart = w.count
        body(&w)
        var bytes = w.bytes
        Self.put(UInt32(bytes.count - bodyStart), at: 4, in: &bytes, order)
        patch(&bytes, order)
        return bytes
    }

    /// A signature written without validation, so tests can send broken ones.
    static func rawSignature(_ text: String, into w: inout WireWriter) {
        w.appendByte(UInt8(text.utf8.count))
        for byte in text.utf8 { w.appendByte(byte) }
        w.appendByte(0)
    }

    static func put(_ value: UInt32, at offset: Int, in bytes: inout [UInt8], _ order: ByteOrder) {
        let ordered = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: ordered) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }

    static func raw(_ bytes: [UInt8]) -> Write { { w in for b in bytes { w.appendByte(b) } } }
}

struct InvalidCase: Sendable, CustomTestStringConvertible {
    let name: String
    var message = RawMessage()
    var fdsReceived = 0
    let rule: WireError.Rule
    var offset: Int?
    var testDescription: String { name }
}

@Suite struct InvalidInputTests {
    static func signal(_ change: (inout RawMessage) -> Void) -> RawMessage {
        var m = RawMessage()
        change(&m)
        return m
    }

    static let deepVariant = RawMessage.raw(Array(repeating: [1, UInt8(ascii: "v"), 0], count: 65).flatMap { $0 } + [1, UInt8(ascii: "y"), 0, 7])

    static let cases: [InvalidCase] = [
        InvalidCase(name: "byte order", message: signal { $0.patch = { b, _ in b[0] = UInt8(ascii: "X") } }, rule: .badByteOrder(UInt8(ascii: "X")), offset: 0),
        InvalidCase(name: "message type 0", message: signal { $0.type = 0 }, rule: .badMessageType(0), offset: 1),
        InvalidCase(name: "message type 5", message: signal { $0.type = 5 }, rule: .badMessageType(5), offset: 1),
        InvalidCase(name: "protocol version", message: signal { $0.version = 2 }, rule: .badProtocolVersion(2), offset: 3),
        InvalidCase(name: "message too long", message: signal { $0.patch = { b, o in RawMessage.put(UInt32(ProtocolLimits.maxMessageLength), at: 4, in: &b, o) } },
                    rule: .messageTooLong(ProtocolLimits.maxMessageLength + 64, limit: ProtocolLimits.maxMessageLength), offset: 4),
        InvalidCase(name: "fields length short", message: signal { $0.patch = { b, o in RawMessage.put(41, at: 12, in: &b, o) } }, rule: .headerFieldsLength(41), offset: 58),
        InvalidCase(name: "field code 0", message: signal { $0.fields.append((0, "y", RawMessage.raw([1]))) }, rule: .invalidHeaderFieldCode, offset: 64),
        InvalidCase(name: "path as string", message: signal { $0.fields[0].signature = "s" }, rule: .headerFieldWrongType(field: .path, found: "s"), offset: 17),
        InvalidCase(name: "member twice", message: signal { $0.fields.append((3, "s", { try! $0.appendString("N") })) }, rule: .duplicateHeaderField(.member), offset: 64),
        InvalidCase(name: "signal without interface", message: signal { $0.fields.remove(at: 1) }, rule: .missingHeaderField(.interface, messageType: .signal)),
        InvalidCase(name: "member starts with digit", message: signal { $0.fields[2].value = { try! $0.appendString("9x") } },
                    rule: .invalidName(NameError(kind: .memberName, rule: .elementStartsWithDigit, offset: 0)), offset: 52),
        InvalidCase(name: "local path", message: signal { $0.fields[0].value = { try! $0.appendObjectPath("/org/freedesktop/DBus/Local") } },
                    rule: .reservedLocalName(.path), offset: 20),
        InvalidCase(name: "local interface", message: signal { $0.fields[1].value = { try! $0.appendString("org.freedesktop.DBus.Local") } },
                    rule: .reservedLocalName(.interface), offset: 36),
        InvalidCase(name: "bad body signature", message: signal { $0.bodySignature = "a{vs}" }, rule: .invalidSignature(.dictEntryKeyNotBasic), offset: 71),
        InvalidCase(name: "variant with two types", message: signal { $0.fields.append((100, "ii", RawMessage.raw([0, 0, 0, 0, 0, 0, 0, 0]))) },
                    rule: .invalidSignature(.notSingleCompleteType(2)), offset: 65),
        InvalidCase(name: "empty variant signature", message: signal { $0.fields.append((100, "", RawMessage.raw([]))) },
                    rule: .invalidSignature(.notSingleCompleteType(0)), offset: 65),
        InvalidCase(name: "body longer than signature", message: signal { $0.bodySignature = "y"; $0.body = RawMessage.raw([1, 0]) },
                    rule: .bodyLengthMismatch(declared: 2, used: 1)),
        InvalidCase(name: "body without signature", message: signal { $0.body = RawMessage.raw([1]) }, rule: .bodyLengthMismatch(declared: 1, used: 0), offset: 64),
        InvalidCase(name: "padding not zero", message: signal { $0.bodySignature = "yu"; $0.body = RawMessage.raw([1, 9, 0, 0, 5, 0, 0, 0]) },
                    rule: .nonZeroPadding, offset: 73),
        InvalidCase(name: "header padding not zero", message: signal { $0.patch = { b, _ in b[63] = 1 } }, rule: .nonZeroPadding, offset: 63),
        InvalidCase(name: "boolean 2", message: signal { $0.bodySignature = "b"; $0.body = { $0.appendUInt32(2) } }, rule: .invalidBoolean(2), offset: 72),
        InvalidCase(name: "invalid UTF-8", message: signal { $0.bodySignature = "s"; $0.body = { w in try! w.appendString("aé") }; $0.patch = { b, _ in b[b.count - 2] = 0xFF } },
                    rule: .invalidUTF8),
        InvalidCase(name: "overlong UTF-8", message: signal { $0.bodySignature = "s"; $0.body = { w in try! w.appendString("aé") }; $0.patch = { b, _ in b[b.count - 3] = 0xC0; b[b.count - 2] = 0x80 } },
                    rule: .invalidUTF8),
        InvalidCase(name: "NUL in string", message: signal { $0.bodySignature = "s"; $0.body = { w in try! w.appendString("abc") }; $0.patch = { b, _ in b[b.count - 3] = 0 } },
                    rule: .stringContainsNul),
        InvalidCase(name: "no terminator", message: signal { $0.bodySignature = "s"; $0.body = { w in try! w.appendString("ab") }; $0.patch = { b, _ in b[b.count - 1] = 0x41 } },
                    rule: .missingNulTerminator),
        InvalidCase(name: "array over 64 MiB", message: signal { $0.bodySignature = "ay"; $0.body = { w in w.appendUInt32(UInt32(ProtocolLimits.maxArrayLength + 1)) } },
                    rule: .arrayTooLong(ProtocolLimits.maxArrayLength + 1, limit: ProtocolLimits.maxArrayLength), offset: 72),
        InvalidCase(name: "int16 array of odd length", message: signal { $0.bodySignature = "an"; $0.body = { w in w.appendUInt32(3); for _ in 0..<3 { w.appendByte(0) } } },
                    rule: .arrayLengthMismatch(declared: 3), offset: 76),
        InvalidCase(name: "element overruns array", message: signal { $0.bodySignature = "as"; $0.body = { w in w.appendUInt32(6); try! w.appendString("abc") } },
                    rule: .arrayLengthMismatch(declared: 6), offset: 82),
        InvalidCase(name: "variants 65 deep", message: signal { $0.bodySignature = "v"; $0.body = deepVariant }, rule: .nestingTooDeep),
        InvalidCase(name: "fd index out of range", message: signal { $0.fields.append((9, "u", { $0.appendUInt32(1) })); $0.bodySignature = "h"; $0.body = { $0.appendUInt32(1) } },
                    fdsReceived: 1, rule: .unixFDIndexOutOfRange(index: 1, count: 1)),
        InvalidCase(name: "fds declared not received", message: signal { $0.fields.append((9, "u", { $0.appendUInt32(2) })) }, fdsReceived: 1,
                    rule: .unixFDCountMismatch(declared: 2, received: 1)),
        InvalidCase(name: "too many fds", message: signal { $0.fields.append((9, "u", { $0.appendUInt32(254) })) }, fdsReceived: 254, rule: .tooManyUnixFDs(254)),
        InvalidCase(name: "truncated body", message: signal { $0.bodySignature = "u"; $0.body = { $0.appendUInt32(7) }; $0.patch = { b, _ in b.removeLast() } },
                    rule: .truncated(needed: 76, available: 75), offset: 75),
        InvalidCase(name: "body shorter than signature", message: signal { $0.bodySignature = "uu"; $0.body = { $0.appendUInt32(7) } },
                    rule: .truncated(needed: 4, available: 0), offset: 76),
        InvalidCase(name: "shorter than fixed header", message: signal { $0.patch = { b, _ in b.removeLast(b.count - 10) } },
                    rule: .truncated(needed: 16, available: 10), offset: 10),
        InvalidCase(name: "trailing bytes", message: signal { $0.patch = { b, _ in b.append(0) } }, rule: .trailingBytes(1), offset: 64),
        InvalidCase(name: "serial 0", message: signal { $0.serial = 0 }, rule: .serialZero, offset: 8),
        InvalidCase(name: "reply serial 0",
                    message: signal { $0.type = MessageType.methodReturn.rawValue; $0.fields = [(5, "u", { $0.appendUInt32(0) })] }, rule: .serialZero, offset: 20),
    ]

    @Test(arguments: cases)
    func rejectsInBothByteOrdersOnBothPaths(_ test: InvalidCase) {
        for order in ByteOrder.allCases {
            var message = test.message
            message.order = order
            let bytes = message.bytes()
            let decodeError = wireError { () throws(WireError) in _ = try Message(decoding: bytes, unixFDsReceived: test.fdsReceived) }
            let viewError = wireError { () throws(WireError) in
                try withRaw(bytes) { raw throws(WireError) in _ = try MessageHeaderView(validating: raw, unixFDsReceived: test.fdsReceived) }
            }
            #expect(decodeError?.rule == test.rule, "\(test.name), \(order)")
            #expect(viewError == decodeError, "\(test.name), \(order)")
            if let offset = test.offset { #expect(decodeError?.offset == offset, "\(test.name), \(order)") }
        }
    }

    @Test func everyRuleHasACase() {
        // Rules checked elsewhere: valueTypeMismatch (MarshalTests, encoding only).
        let names = Set(Self.cases.map { "\($0.rule)".prefix { $0 != "(" } })
        #expect(names.count == 27, "\(names.sorted())")
    }

    @Test func framingRejectsEarly() {
        var bytes = RawMessage().bytes()
        bytes[0] = 0
        let badOrder = wireError { () throws(WireError) in _ = try withRaw(bytes) { raw throws(WireError) in try MessageFraming.messageLength(prefix: raw) } }
        #expect(badOrder?.rule == .badByteOrder(0))
        bytes = RawMessage().bytes()
        RawMessage.put(UInt32(ProtocolLimits.maxArrayLength + 1), at: 12, in: &bytes, .little)
        let longFields = wireError { () throws(WireError) in _ = try withRaw(bytes) { raw throws(WireError) in try MessageFraming.messageLength(prefix: raw) } }
        #expect(longFields?.rule == .arrayTooLong(ProtocolLimits.maxArrayLength + 1, limit: ProtocolLimits.maxArrayLength))
    }
}
