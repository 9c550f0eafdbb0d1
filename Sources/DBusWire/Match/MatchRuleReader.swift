/// Match Rule Reader
///
/// Reads rule text into a `MatchRule`, one `key=value` pair at a time, the way dbus-daemon 1.14's
/// `bus_match_rule_parse` does. Its behaviour, checked against a running dbus-daemon 1.14.10:
///
/// - Whitespace (space, tab, CR, LF) before a key and between key and `=` is skipped; after
///   `=` it belongs to the value, so `type='signal' ,…` has type `signal ` and is rejected.
/// - Outside quotes, `\'` is an apostrophe and a backslash before anything else is kept together
///   with that next byte, which loses its meaning: `arg1=\,x` is the value `\,x`. (The
///   specification's prose reads `\` then `,` as a separator; dbus-broker does that.)
/// - A trailing comma and an empty value are fine; `eavesdrop` may be repeated, the last wins.
///
/// Where dbus-daemon is lenient by accident we reject or accept on purpose, never silently drop:
/// it ignores everything after a stray `=` (`type='signal',=x,member='Foo'` becomes `type='signal'`),
/// and ignores every pair after the sixteenth. We reject the first and honour all pairs, as
/// dbus-broker does; both only ever make a rule narrower than dbus-daemon would.
struct MatchRuleReader {
    private let text: [UInt8]
    private let maximumLength: Int
    private var position = 0
    private var rule = MatchRule()

    init(_ text: [UInt8], maximumLength: Int) {
        self.text = text
        self.maximumLength = maximumLength
    }

    mutating func parse() throws(MatchRuleError) -> MatchRule {
        if text.count > maximumLength {
            throw MatchRuleError(.tooLong(length: text.count, limit: maximumLength), position: maximumLength)
        }
        if let nul = text.firstIndex(of: 0) { throw MatchRuleError(.nulByte, position: nul) }
        while let (key, keyStart) = try nextKey() {
            let valueStart = position
            let value = try nextValue(for: key)
            try Self.assign(Pair(key: key, value: value, keyStart: keyStart, valueStart: valueStart), to: &rule)
        }
        return rule
    }

    // MARK: - Tokens

    private static let equals = UInt8(ascii: "=")
    private static let comma = UInt8(ascii: ",")
    private static let apostrophe = UInt8(ascii: "'")
    private static let backslash = UInt8(ascii: "\\")

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private mutating func skipWhitespace() {
        while position < text.count, Self.isWhitespace(text[position]) { position += 1 }
    }

    /// The next key and where it starts, leaving `position` after its `=`; nil at the end of the text.
    private mutating func nextKey() throws(MatchRuleError) -> (String, Int)? {
        skipWhitespace()
        let start = position
        while position < text.count, text[position] != Self.equals, !Self.isWhitespace(text[position]) {
            position += 1
        }
        let key = String(decoding: text[start..<position], as: UTF8.self)
        skipWhitespace()
        if key.isEmpty {
            // Only whitespace left is an empty rule or a trailing comma; anything else is a stray '='.
            if position == text.count { return nil }
            throw MatchRuleError(.missingKey, position: position)
        }
        guard position < text.count, text[position] == Self.equals else {
            throw MatchRuleError(.missingEquals, key: key, position: start)
        }
        position += 1
        return (key, start)
    }

    /// The unquoted value that starts at `position`, leaving `position` after its comma.
    private mutating func nextValue(for key: String) throws(MatchRuleError) -> String {
        enum State { case plain, escaped, quoted }
        var state = State.plain
        var value: [UInt8] = []
        var quoteStart = position
        scan: while position < text.count {
            let byte = text[position]
            position += 1
            switch state {
            case .plain:
                switch byte {
                case Self.apostrophe: state = .quoted; quoteStart = position - 1
                case Self.comma: break scan
                case Self.backslash: state = .escaped
                default: value.append(byte)
                }
            case .escaped:
                if byte != Self.apostrophe { value.append(Self.backslash) }
                value.append(byte)
                state = .plain
            case .quoted:
                if byte == Self.apostrophe { state = .plain } else { value.append(byte) }
            }
        }
        switch state {
        case .escaped: value.append(Self.backslash)
        case .quoted: throw MatchRuleError(.unbalancedQuote, key: key, position: quoteStart)
        case .plain: break
        }
        return String(decoding: value, as: UTF8.self)
    }
}
