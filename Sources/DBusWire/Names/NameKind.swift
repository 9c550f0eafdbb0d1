/// The kinds of names the D-Bus specification constrains, each with its own grammar.
public enum NameKind: String, Sendable, Hashable, CaseIterable {
    /// A unique (`:1.42`) or well-known (`org.example.App`) bus name.
    case busName = "bus name"
    /// `org.example.Interface`: two or more elements, none starting with a digit.
    case interfaceName = "interface name"
    /// `Method`: one element, not starting with a digit.
    case memberName = "member name"
    /// Same grammar as an interface name.
    case errorName = "error name"
    /// `/org/example/Object`, or `/`.
    case objectPath = "object path"
}

/// Why a name was rejected: the kind of name, the rule it broke, and the byte offset of the
/// first offending byte within the name.
public struct NameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rules a name can break.
    public enum Rule: String, Sendable, Hashable {
        case empty = "is empty"
        case tooLong = "is longer than 255 bytes"
        case invalidCharacter = "contains a character that is not allowed"
        case emptyElement = "has an empty element"
        case tooFewElements = "needs at least two elements separated by '.'"
        case elementStartsWithDigit = "has an element that starts with a digit"
        case missingLeadingSlash = "does not start with '/'"
        case trailingSlash = "ends with '/'"
        case startsWithDot = "starts with '.'"
    }

    public var kind: NameKind
    public var rule: Rule
    /// Offset of the first offending byte within the name.
    public var offset: Int

    public init(kind: NameKind, rule: Rule, offset: Int) {
        self.kind = kind
        self.rule = rule
        self.offset = offset
    }

    public var description: String { "invalid \(kind.rawValue): \(rule.rawValue) (at byte \(offset))" }
}
