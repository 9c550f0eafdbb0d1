/// The D-Bus address escaping rules: which bytes stand for themselves, and `%XX` for all others.
enum AddressEscaping {
    /// True for the bytes the specification lets a value carry unescaped: `[-0-9A-Za-z_/.\*]`.
    /// libdbus reads the spec's `\*` as both `\` and `*`, so we accept both to parse every
    /// address it prints.
    @inline(__always) static func isOptionallyEscaped(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "/"), UInt8(ascii: "\\"),
            UInt8(ascii: "*"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Escapes `value` for use after `key=`; lowercase hex, as libdbus writes it.
    static func escape(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isOptionallyEscaped(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(HexDigits.lowercase(byte >> 4))
                out.append(HexDigits.lowercase(byte & 0xF))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Unescapes the value occupying `range` of `text`; `range.lowerBound` is used to report
    /// offsets within the whole address.
    static func unescape(_ text: [UInt8], _ range: Range<Int>, key: String) throws(AddressError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let byte = text[i]
            if isOptionallyEscaped(byte) {
                out.append(byte)
                i += 1
                continue
            }
            guard byte == UInt8(ascii: "%") else { throw AddressError(.unescapedCharacter, offset: i, key: key) }
            guard i + 2 < range.upperBound else { throw AddressError(.truncatedEscape, offset: i, key: key) }
            guard let high = HexDigits.value(text[i + 1]), let low = HexDigits.value(text[i + 2]) else {
                throw AddressError(.invalidHexEscape, offset: i, key: key)
            }
            let decoded = high << 4 | low
            if decoded == 0 { throw AddressError(.nulInValue, offset: i, key: key) }
            out.append(decoded)
            i += 3
        }
        guard let value = String(validating: out, as: UTF8.self) else {
            throw AddressError(.valueNotUTF8, offset: range.lowerBound, key: key)
        }
        return value
    }
}
