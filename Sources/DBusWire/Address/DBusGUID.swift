/// The 128-bit id a D-Bus server sends in `OK <guid>` and prints in its address as `guid=`.
///
/// Always 32 hex digits on the wire. We keep the text in lowercase, as every server writes
/// it, so that two spellings of one id compare equal.
public struct DBusGUID: Sendable, Hashable, CustomStringConvertible {
    /// Number of hex digits in a GUID's text form.
    public static let hexLength = 32

    /// The lowercase hex text, always `hexLength` digits.
    public let hex: String

    /// Parses the text form; fails unless it is exactly 32 hex digits.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == Self.hexLength, utf8.allSatisfy({ HexDigits.value($0) != nil }) else { return nil }
        hex = String(decoding: utf8.map { HexDigits.lowercase(HexDigits.value($0)!) }, as: UTF8.self)
    }

    /// Builds a GUID from 16 bytes, e.g. from the system's random generator.
    public init(bytes: (UInt64, UInt64)) {
        var raw: [UInt8] = []
        for word in [bytes.0, bytes.1] {
            for shift in stride(from: 56, through: 0, by: -8) { raw.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        hex = String(decoding: HexDigits.encode(raw), as: UTF8.self)
    }

    public var description: String { hex }
}
