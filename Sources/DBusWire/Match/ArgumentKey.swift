/// Argument Key
///
/// The `argN`, `argNpath` and `arg0namespace` keys of a match rule. dbus-daemon reads N with
/// `strtoul(…, 0)`, so besides `arg7` it accepts `arg+7`, `arg07`, `arg0x7` (all 7), `arg010` (8,
/// octal) and `arg-0` (0); we read N the same way so that every rule it accepts means the same
/// here. `description` always writes N in plain decimal.
struct ArgumentKey {
    /// Which test the key asks for.
    enum Kind: Sendable, Hashable {
        case string, path, namespace
    }

    private let bytes: [UInt8]
    private static let prefixLength = 3  // "arg"

    init(_ key: String) { bytes = Array(key.utf8) }

    /// What a key turned out to be.
    enum Outcome {
        case argument(number: UInt64, kind: Kind)
        case invalid(MatchRuleError.Reason)
    }

    /// The argument number as `strtoul` would read it, and the kind; or why the key is not one.
    func parse() -> Outcome {
        guard bytes.count > Self.prefixLength else { return .invalid(.missingArgumentNumber) }
        guard let (number, end) = readNumber(from: Self.prefixLength) else {
            return .invalid(.unparsableArgumentNumber)
        }
        let rest = bytes[end...]
        if rest.isEmpty { return .argument(number: number, kind: .string) }
        if rest.elementsEqual("path".utf8) { return .argument(number: number, kind: .path) }
        if bytes.elementsEqual("arg0namespace".utf8) { return .argument(number: number, kind: .namespace) }
        return .invalid(.junkAfterArgumentNumber)
    }

    /// `strtoul` with base 0: optional sign, then `0x` hex, `0` octal or decimal. Nil when no digit
    /// follows or the number overflows (`ERANGE`), which dbus-daemon reports as unparsable.
    private func readNumber(from start: Int) -> (UInt64, Int)? {
        var index = start
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        let radix = detectRadix(at: &index)
        let digitsStart = index
        var number: UInt64 = 0
        while index < bytes.count, let digit = Self.digitValue(bytes[index], radix: radix) {
            let (shifted, overflowA) = number.multipliedReportingOverflow(by: radix)
            let (sum, overflowB) = shifted.addingReportingOverflow(digit)
            if overflowA || overflowB { return nil }
            number = sum
            index += 1
        }
        if index == digitsStart { return nil }
        return (negative ? 0 &- number : number, index)
    }

    /// Skips a `0x` prefix when a hex digit follows it, as `strtoul` does; a lone leading `0` makes
    /// the number octal and is itself its first digit.
    private func detectRadix(at index: inout Int) -> UInt64 {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "0") else { return 10 }
        let hasX = index + 2 < bytes.count && (bytes[index + 1] | 0x20) == UInt8(ascii: "x")
        if hasX, Self.digitValue(bytes[index + 2], radix: 16) != nil {
            index += 2
            return 16
        }
        return 8
    }

    private static func digitValue(_ byte: UInt8, radix: UInt64) -> UInt64? {
        let value: UInt64
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt64(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt64(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
        return value < radix ? value : nil
    }
}
