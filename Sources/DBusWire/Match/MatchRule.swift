/// Match Rule
///
/// One `AddMatch` rule: a conjunction of tests on a message's type, header fields and leading
/// string arguments. A key left out matches anything. Parse one with `init(parsing:)`; print
/// the canonical text with `description`; test a message with `matches(_:)`.
///
/// The grammar and the key semantics follow the D-Bus specification ("Match Rules"); where the
/// reference dbus-daemon 1.14 differs from the specification's prose, this type behaves like
/// dbus-daemon, and the parser says so where it happens.
public struct MatchRule: Sendable {
    /// `type=`: the message type.
    public var type: MessageType?
    /// `sender=`: a unique or well-known bus name.
    public var sender: String?
    /// `interface=`: an interface name.
    public var interface: String?
    /// `member=`: a method or signal name.
    public var member: String?
    /// `path=`: an exact object path. Never set together with `pathNamespace`.
    public var path: String?
    /// `path_namespace=`: an object path and everything below it.
    public var pathNamespace: String?
    /// `destination=`: a bus name the message is addressed to.
    public var destination: String?
    /// `argN=`: argument N (0…63) must be a string equal to the value.
    public var arguments: [Int: String]
    /// `argNpath=`: argument N must be a string or object path related to the value as a path prefix.
    public var argumentPaths: [Int: String]
    /// `arg0namespace=`: argument 0 must be a string equal to the value or below it in dotted-name terms.
    public var arg0Namespace: String?
    /// `eavesdrop=`: also match messages addressed to someone else.
    public var eavesdrop: Bool

    /// A rule with no keys: it matches every broadcast.
    public init(
        type: MessageType? = nil, sender: String? = nil, interface: String? = nil, member: String? = nil,
        path: String? = nil, pathNamespace: String? = nil, destination: String? = nil,
        arguments: [Int: String] = [:], argumentPaths: [Int: String] = [:], arg0Namespace: String? = nil,
        eavesdrop: Bool = false
    ) {
        self.type = type
        self.sender = sender
        self.interface = interface
        self.member = member
        self.path = path
        self.pathNamespace = pathNamespace
        self.destination = destination
        self.arguments = arguments
        self.argumentPaths = argumentPaths
        self.arg0Namespace = arg0Namespace
        self.eavesdrop = eavesdrop
    }

    /// Parses a rule as given to `AddMatch`. `maximumLength` is the limit for text from a peer;
    /// pass `.max` to re-read a rule's own `description`, whose quoting can make it longer.
    public init(parsing text: String, maximumLength: Int = MatchRuleLimits.maxRuleLength) throws(MatchRuleError) {
        var parser = MatchRuleReader(Array(text.utf8), maximumLength: maximumLength)
        self = try parser.parse()
    }

    /// Parses a rule from raw bytes as received from a peer; invalid UTF-8 is an error.
    public init(
        parsingUTF8 bytes: some Collection<UInt8>, maximumLength: Int = MatchRuleLimits.maxRuleLength
    ) throws(MatchRuleError) {
        let text = Array(bytes)
        if text.count <= maximumLength, String(validating: text, as: UTF8.self) == nil {
            throw MatchRuleError(.invalidUTF8, position: MatchRule.firstInvalidUTF8Offset(text))
        }
        var parser = MatchRuleReader(text, maximumLength: maximumLength)
        self = try parser.parse()
    }

    /// Byte offset of the first sequence that is not UTF-8, for the error message.
    private static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while case .scalarValue(let scalar) = decoder.decode(&iterator) { offset += UTF8.width(scalar) }
        return offset
    }
}
