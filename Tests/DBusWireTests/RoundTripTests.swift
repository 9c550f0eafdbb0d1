// Round Trip Tests
import Testing
import TestSupport
@testable import DBusWire


/// Random types within the nesting limits, and random values of them.
struct ValueGenerator {
    var random: SeededRandom
    let basics: [SignatureType] = [
        .byte, .boolean, .int16, .uint16, .int32, .uint32, .int64, .uint64, .double, .string, .objectPath, .signature, .unixFD,
    ]

    mutating func type(depth: Int = 0) -> SignatureType {
        let containers = depth < 5 ? 5 : 0
        switch Int.random(in: 0..<(basics.count + 1 + containers), using: &random) {
        case 0..<basics.count: return basics.randomElement(using: &random)!
        case basics.count: return .variant
        case basics.count + 1, basics.count + 2: return .array(type(depth: depth + 1))
        case basics.count + 3: return .dictionary(key: basics.randomElement(using: &random)!, value: type(depth: depth + 1))
        default: return .structure((0..<Int.random(in: 1...3, using: &random)).map { _ in type(depth: depth + 1) })
        }
    }

    mutating func string() -> String {
        let alphabet = Array("abcxyz é漢🎉_/.")
        return String((0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    mutating func path() -> String {
        let elements = (0..<Int.random(in: 0...3, using: &random)).map { _ in ["a", "B9", "_x", "org"].randomElement(using: &random)! }
        return "/" + elements.joined(separator: "/")
    }

    mutating func value(of type: SignatureType, depth: Int = 0) -> DBusValue {
        switch type {
        case .byte: return .byte(UInt8.random(in: .min ... .max, using: &random))
        case .boolean: return .boolean(Bool.random(using: &random))
        case .int16: return .int16(Int16.random(in: .min ... .max, using: &random))
        case .uint16: return .uint16(UInt16.random(in: .min ... .max, using: &random))
        case .int32: return .int32(Int32.random(in: .min ... .max, using: &random))
        case .uint32: return .uint32(UInt32.random(in: .min ... .max, using: &random))
        case .int64: return .int64(Int64.random(in: .min ... .max, using: &random))
        case .uint64: return .uint64(UInt64.random(in: .min ... .max, using: &random))
        case .double: return .double(Double.random(in: -1e300...1e300, using: &random))
        case .string: return .string(string())
        case .objectPath: return .objectPath(path())
        case .signature: return .signature(Signature(types: (0..<Int.random(in: 0...2, using: &random)).map { _ in self.type(depth: 3) }))
        case .unixFD: return .unixFD(UInt32.random(in: 0..<4, using: &random))
        case .variant:
            let inner = depth < 6 ? self.type(depth: 3) : .int32
            return .variant(value(of: inner, depth: depth + 1))
        case .array(.byte): return .bytes((0..<Int.random(in: 0...5, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
        case .array(let element):
            return .array(element: element, (0..<Int.random(in: 0...3, using: &random)).map { _ in value(of: element, depth: depth + 1) })
        case .dictionary(let key, let valueType):
            let entries = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                DBusDictEntry(key: value(of: key, depth: depth + 1), value: value(of: valueType, depth: depth + 1))
            }
            return .dictionary(key: key, value: valueType, entries)
        case .structure(let fields): return .structure(fields.map { value(of: $0, depth: depth + 1) })
        }
    }
}

@Suite struct RoundTripTests {
    static let cases = 3000

    @Test(arguments: ByteOrder.allCases)
    func randomValuesSurviveEncodeDecode(order: ByteOrder) throws {
        var generator = ValueGenerator(random: SeededRandom(seed: order == .little ? 1 : 2))
        var encodedBytes = 0
        var containers = 0
        defer {
            // Guards the generator itself: the cases must be big and varied enough to mean something.
            #expect(encodedBytes > Self.cases * 60)
            #expect(containers > Self.cases / 2)
        }
        for seed in 0..<Self.cases {
            let types = (0..<Int.random(in: 0...4, using: &generator.random)).map { _ in generator.type() }
            let body = types.map { generator.value(of: $0) }
            let message = Message(type: .signal, serial: UInt32(seed + 1), byteOrder: order, path: "/p", interface: "i.f",
                                  member: "M", unixFDCount: 4, body: body)
            let bytes = try message.encoded()
            encodedBytes += bytes.count
            containers += types.filter { !$0.isBasic }.count
            let decoded = try Message(decoding: bytes, unixFDsReceived: 4)
            #expect(decoded == message, "case \(seed): \(message.signature)")
            #expect(decoded.signature.types == types)
            if decoded != message { return }
        }
    }

    @Test func randomSignaturesSurviveParsing() throws {
        var generator = ValueGenerator(random: SeededRandom(seed: 3))
        for _ in 0..<Self.cases {
            let types = (0..<Int.random(in: 1...4, using: &generator.random)).map { _ in generator.type() }
            let built = Signature(types: types)
            guard built.string.utf8.count <= ProtocolLimits.maxSignatureLength else { continue }
            #expect(try Signature(built.string).types == types)
        }
    }

    @Test func bothByteOrdersDecodeToTheSameValues() throws {
        var generator = ValueGenerator(random: SeededRandom(seed: 4))
        for seed in 0..<500 {
            let body = (0..<3).map { _ in generator.value(of: generator.type()) }
            var message = Message(type: .signal, serial: 1, path: "/p", interface: "i.f", member: "M", unixFDCount: 4, body: body)
            message.byteOrder = .little
            let little = try Message(decoding: message.encoded(), unixFDsReceived: 4)
            message.byteOrder = .big
            let big = try Message(decoding: message.encoded(), unixFDsReceived: 4)
            #expect(little.body == big.body, "case \(seed)")
        }
    }
}
