// Busctl Argument Parser Tests: busctl's value syntax, in process: round trips and hostile words.
import SwiftBus
@testable import swiftbusctl
import Testing

@Suite struct BusctlArgumentParserTests {
    /// The words busctl's syntax uses for `value` (the inverse of the parser).
    static func words(_ value: DBusValue) -> [String] {
        switch value {
        case .string(let text), .objectPath(let text): [text]
        case .signature(let signature): [signature.string]
        case .bytes(let bytes): ["\(bytes.count)"] + bytes.map { "\($0)" }
        case .array(_, let values): ["\(values.count)"] + values.flatMap(words)
        case .dictionary(_, _, let entries): ["\(entries.count)"] + entries.flatMap { words($0.key) + words($0.value) }
        case .structure(let fields): fields.flatMap(words)
        case .variant(let inner): [inner.type.signatureString] + words(inner)
        case .boolean(let flag): [flag ? "true" : "false"]
        default: BusctlValueFormatter.words(value)
        }
    }

    static func randomValue(depth: Int, using random: inout some RandomNumberGenerator) -> DBusValue {
        let choice = Int.random(in: 0..<(depth > 3 ? 9 : 14), using: &random)
        switch choice {
        case 0: return .byte(.random(in: .min ... .max, using: &random))
        case 1: return .boolean(.random(using: &random))
        case 2: return .int16(.random(in: .min ... .max, using: &random))
        case 3: return .uint32(.random(in: .min ... .max, using: &random))
        case 4: return .int64(.random(in: .min ... .max, using: &random))
        case 5: return .uint64(.random(in: .min ... .max, using: &random))
        case 6: return .string(["", "a b", "\"q\"", "ünï", "-1"].randomElement(using: &random)!)
        case 7: return .objectPath(["/", "/a/b_c"].randomElement(using: &random)!)
        case 8: return .double([0.5, -2, 1e10].randomElement(using: &random)!)
        case 9: return .variant(randomValue(depth: depth + 1, using: &random))
        case 10: return .structure((0..<Int.random(in: 1...3, using: &random)).map { _ in randomValue(depth: depth + 1, using: &random) })
        case 11: return .bytes((0..<Int.random(in: 0...3, using: &random)).map { _ in .random(in: 0...255, using: &random) })
        case 12:
            let count = Int.random(in: 0...3, using: &random)
            return .array(element: .int32, (0..<count).map { _ in .int32(.random(in: .min ... .max, using: &random)) })
        default:
            let count = Int.random(in: 0...2, using: &random)
            return .dictionary(key: .string, value: .variant, (0..<count).map { index in
                DBusDictEntry(key: .string("k\(index)"), value: .variant(randomValue(depth: depth + 1, using: &random)))
            })
        }
    }

    @Test func randomValuesRoundTrip() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let values = (0..<Int.random(in: 1...3, using: &random)).map { _ in Self.randomValue(depth: 0, using: &random) }
            let signature = Signature(types: values.map(\.type)).string
            let parsed = try BusctlArgumentParser.parse(signature: signature, words: values.flatMap(Self.words))
            #expect(parsed == values, "\(signature)")
        }
    }

    @Test(arguments: [
        ("s", [String]()), ("s", ["a", "b"]), ("y", ["-1"]), ("y", ["256"]), ("n", ["40000"]), ("u", ["1.5"]),
        ("b", ["2"]), ("d", ["x"]), ("o", ["a"]), ("o", ["/a/"]), ("g", ["a{"]), ("as", ["-1"]),
        ("as", ["18446744073709551616"]), ("as", ["9999999", "a"]), ("a{sv}", ["1", "k"]), ("a{sv}", ["1", "k", "xx", "1"]),
        ("v", ["ss", "a", "b"]), ("v", [""]), ("h", ["0"]), ("(", []), ("a{vs}", ["0"]), ("", ["extra"]),
    ])
    func badInputIsAnError(_ signature: String, _ words: [String]) {
        #expect(throws: BusctlError.self) { try BusctlArgumentParser.parse(signature: signature, words: words) }
    }

    @Test func deepVariantNestingIsBounded() {
        // v v v … i 1: each level adds a word; past the limit the parser refuses instead of recursing on.
        let words = Array(repeating: "v", count: 200) + ["i", "1"]
        #expect(throws: BusctlError.self) { try BusctlArgumentParser.parse(signature: "v", words: words) }
    }

    @Test func hexadecimalAndBooleanWords() throws {
        let values = try BusctlArgumentParser.parse(signature: "ubbi", words: ["0x10", "yes", "off", "-0x1f"])
        #expect(values == [.uint32(16), .boolean(true), .boolean(false), .int32(-31)])
    }
}
