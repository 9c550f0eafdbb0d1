/// One entry of a D-Bus server address: `transport:key=value,key=value`.
///
/// An address string lists entries separated by `;`, to be tried in order. Keys keep the
/// order they were written in, so that serialising gives back what was parsed. Parsing
/// follows libdbus (`dbus_parse_address`): a trailing `;` or `,` is allowed, an empty entry
/// or pair is not, and every value byte outside `[-0-9A-Za-z_/.\*]` must be written `%XX`.
/// Values must decode to UTF-8 without NUL, because they become paths and names.
public struct DBusAddress: Sendable, Hashable, CustomStringConvertible {
    /// One `key=value` pair, the value unescaped.
    public struct Parameter: Sendable, Hashable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The transport name, e.g. `unix` or `tcp`.
    public var transport: String
    /// The pairs in the order they were written.
    public var parameters: [Parameter]

    public init(transport: String, parameters: [Parameter] = []) {
        self.transport = transport
        self.parameters = parameters
    }

    /// The value of the first pair with `key`, unescaped.
    public subscript(key: String) -> String? {
        parameters.first { $0.key == key }?.value
    }

    /// The entry's `guid=`, if present and well-formed.
    public var guid: DBusGUID? { self["guid"].flatMap { DBusGUID($0) } }

    /// The escaped text form of this entry.
    public var description: String {
        let pairs = parameters.map { "\($0.key)=\(AddressEscaping.escape($0.value))" }
        return transport + ":" + pairs.joined(separator: ",")
    }

    /// The text form of a list of entries, joined by `;`.
    public static func serialize(_ entries: [DBusAddress]) -> String {
        entries.map(\.description).joined(separator: ";")
    }

    /// Parses a whole address string into its entries.
    public static func parseList(_ text: String) throws(AddressError) -> [DBusAddress] {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { throw AddressError(.empty, offset: 0) }
        var entries: [DBusAddress] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            entries.append(try parseEntry(bytes, start..<end))
            start = end + 1
        }
        return entries
    }

    /// Parses text that must hold exactly one entry (a trailing `;` is tolerated).
    public init(parsing text: String) throws(AddressError) {
        let entries = try Self.parseList(text)
        if entries.count > 1 {
            let second = Array(text.utf8).firstIndex(of: UInt8(ascii: ";")) ?? 0
            throw AddressError(.unexpectedSecondEntry, offset: second)
        }
        self = entries[0]
    }

    static func parseEntry(_ bytes: [UInt8], _ range: Range<Int>) throws(AddressError) -> DBusAddress {
        guard let colon = bytes[range].firstIndex(of: UInt8(ascii: ":")) else {
            throw AddressError(.missingColon, offset: range.lowerBound)
        }
        let transport = try validateToken(bytes, range.lowerBound..<colon, empty: .emptyTransport, invalid: .invalidTransportCharacter)
        var parameters: [Parameter] = []
        var start = colon + 1
        while start < range.upperBound {
            let end = bytes[start..<range.upperBound].firstIndex(of: UInt8(ascii: ",")) ?? range.upperBound
            parameters.append(try parsePair(bytes, start..<end))
            start = end + 1
        }
        return DBusAddress(transport: transport, parameters: parameters)
    }

    static func parsePair(_ bytes: [UInt8], _ range: Range<Int>) throws(AddressError) -> Parameter {
        guard let equals = bytes[range].firstIndex(of: UInt8(ascii: "=")) else {
            throw AddressError(.missingEquals, offset: range.lowerBound)
        }
        let key = try validateToken(bytes, range.lowerBound..<equals, empty: .emptyKey, invalid: .invalidKeyCharacter)
        if equals + 1 == range.upperBound { throw AddressError(.emptyValue, offset: equals + 1, key: key) }
        let value = try AddressEscaping.unescape(bytes, equals + 1..<range.upperBound, key: key)
        return Parameter(key: key, value: value)
    }

    /// Transport names and keys are never escaped, so we hold them to the unescaped set;
    /// libdbus does not check them, but anything else could not be written back unambiguously.
    static func validateToken(
        _ bytes: [UInt8], _ range: Range<Int>, empty: AddressError.Rule, invalid: AddressError.Rule
    ) throws(AddressError) -> String {
        if range.isEmpty { throw AddressError(empty, offset: range.lowerBound) }
        if let bad = bytes[range].firstIndex(where: { !AddressEscaping.isOptionallyEscaped($0) }) {
            throw AddressError(invalid, offset: bad)
        }
        return String(decoding: bytes[range], as: UTF8.self)
    }
}
