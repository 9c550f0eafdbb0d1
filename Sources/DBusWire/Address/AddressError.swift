/// Why a D-Bus server address was rejected: the rule broken, where, and which key.
public struct AddressError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rules an address can break, worded so that the message tells the user what to fix.
    public enum Rule: String, Sendable, Hashable {
        case empty = "the address is empty"
        case missingColon = "an entry has no ':' after its transport name"
        case emptyTransport = "an entry has an empty transport name"
        case invalidTransportCharacter = "the transport name may only contain [-0-9A-Za-z_/.\\*]"
        case missingEquals = "a key=value pair has no '='"
        case emptyKey = "a key is empty"
        case invalidKeyCharacter = "a key may only contain [-0-9A-Za-z_/.\\*]"
        case emptyValue = "a value is empty"
        case unescapedCharacter = "a value contains a byte that must be written as %XX"
        case truncatedEscape = "'%' is not followed by two hex digits"
        case invalidHexEscape = "'%' is followed by something other than two hex digits"
        case valueNotUTF8 = "a value does not decode to UTF-8"
        case nulInValue = "a value contains %00"
        case duplicateKey = "a key appears twice in one entry"
        case unknownKey = "the key is not one the transport knows"
        case noLocation = "a unix address needs one of path, abstract, tmpdir, dir or runtime"
        case conflictingLocations = "a unix address may give only one of path, abstract, tmpdir, dir and runtime"
        case invalidRuntimeValue = "the only value runtime= accepts is 'yes'"
        case invalidGUID = "guid must be exactly 32 hex digits"
        case notUnixTransport = "the entry's transport is not 'unix'"
        case runtimeDirectoryUnset = "runtime=yes needs XDG_RUNTIME_DIR, which is not set"
        case notConnectable = "tmpdir, dir and runtime addresses can be listened on, not connected to"
        case unexpectedSecondEntry = "only one entry was expected, but the address lists several"
        case socketPathTooLong = "the socket path is longer than the 107 bytes a sockaddr_un holds"
    }

    /// The rule that was broken.
    public var rule: Rule
    /// Byte offset within the address string of the first offending byte, when the error
    /// comes from parsing text; `nil` for rules about a whole entry.
    public var offset: Int?
    /// The key concerned, if any.
    public var key: String?

    public init(_ rule: Rule, offset: Int? = nil, key: String? = nil) {
        self.rule = rule
        self.offset = offset
        self.key = key
    }

    public var description: String {
        var text = "invalid D-Bus address: \(rule.rawValue)"
        if let key { text += " (key '\(key)')" }
        if let offset { text += " (at byte \(offset))" }
        return text
    }
}
