// Config Error
//
// Why a busconfig file was refused, in words a person can act on, with the file and line.

/// An error loading the broker's configuration: the file, the line and column (0 when the
/// problem is not tied to a place in a file), and the rule broken. Its description reads
/// `/etc/x.conf:12:5: <allow> mixes send_ and receive_ attributes`.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong. Wording follows dbus-daemon's messages where it has one.
    public enum Reason: Equatable, Sendable {
        case malformedXML(XMLError.Reason)
        case unknownRootElement(String)
        case elementNotAllowed(String, inside: String)
        case attributeNotAllowed(String, on: String)
        case missingAttribute(String, on: String)
        case badAttributeValue(attribute: String, value: String, expected: String)
        case unexpectedText(inside: String)
        case missingContent(String)
        case policyNeedsOneContext
        case ruleWithoutAttributes(String)
        case memberWithoutInterfaceOrPath(String)
        case invalidAttributeCombination(String, rule: String)
        case ruleCannotMatch(String, rule: String)
        case globalRuleInPerUserPolicy(String, context: String)
        case unknownLimit(String)
        case badLimitValue(name: String, value: String)
        case negativeLimit(String)
        case limitTooLarge(String)
        case includeCycle(String)
        case includeTooDeep(String)
        case selinuxRootUnknown
        case fileNotFound(String)
        case unreadableFile(String, errno: Int32)
        case fileTooLarge(String, limit: Int)
        case noListenAddress
    }

    public let reason: Reason
    /// The file the problem is in; empty for in-memory text with no name.
    public let file: String
    /// 1-based line, or 0 when the problem concerns the whole file.
    public let line: Int
    /// 1-based column in bytes, or 0 when unknown.
    public let column: Int

    init(_ reason: Reason, file: String, at position: XMLPosition?) {
        self.reason = reason
        self.file = file
        self.line = position?.line ?? 0
        self.column = position?.column ?? 0
    }

    public var description: String {
        var place = file.isEmpty ? "<config>" : file
        if line > 0 { place += ":\(line)" }
        if column > 0 { place += ":\(column)" }
        return "\(place): \(message)"
    }

    /// The problem without its place.
    public var message: String {
        switch reason {
        case .malformedXML(let xml): XMLError(xml, at: XMLPosition(line: line, column: column)).description
        case .unknownRootElement(let name): "unknown element <\(name)> at root of configuration file (expected <busconfig>)"
        case .elementNotAllowed(let name, let parent): "element <\(name)> not allowed inside <\(parent)>"
        case .attributeNotAllowed(let attribute, let element): "attribute \"\(attribute)\" is invalid on <\(element)>"
        case .missingAttribute(let attribute, let element): "<\(element)> must have a \"\(attribute)\" attribute"
        case .badAttributeValue(let attribute, let value, let expected):
            "bad value \"\(value)\" for attribute \(attribute): must be \(expected)"
        case .unexpectedText(let element): "no text content expected inside <\(element)>"
        case .missingContent(let element): "<\(element)> was expected to have content inside it"
        case .policyNeedsOneContext: "<policy> must have exactly one of the attributes context, user, group, at_console"
        case .ruleWithoutAttributes(let rule): "<\(rule)> must have one or more attributes"
        case .memberWithoutInterfaceOrPath(let rule):
            "<\(rule)> names a member without an interface or a path (not all messages have an interface)"
        case .invalidAttributeCombination(let detail, let rule): "<\(rule)> \(detail)"
        case .ruleCannotMatch(let detail, let rule): "<\(rule)> cannot match anything: \(detail)"
        case .globalRuleInPerUserPolicy(let rule, let context):
            "<\(rule)> with user or group cannot be per-\(context): it has bus-global semantics"
        case .unknownLimit(let name): "there is no limit called \"\(name)\""
        case .badLimitValue(let name, let value): "<limit name=\"\(name)\"> has invalid value \"\(value)\" (not an integer)"
        case .negativeLimit(let name): "<limit name=\"\(name)\"> must not be negative"
        case .limitTooLarge(let name): "<limit name=\"\(name)\"> value is too large (at most \(Int32.max))"
        case .includeCycle(let path): "circular inclusion of file '\(path)'"
        case .includeTooDeep(let path): "includes nested deeper than \(ConfigLimits.maxIncludeDepth) at '\(path)'"
        case .selinuxRootUnknown: "selinux_root_relative include, but SELinux is not enabled so its policy root is unknown"
        case .fileNotFound(let path): "failed to open \"\(path)\": no such file or directory"
        case .unreadableFile(let path, let errno): "failed to read \"\(path)\": errno \(errno)"
        case .fileTooLarge(let path, let limit): "\"\(path)\" is larger than \(limit) bytes"
        case .noListenAddress: "configuration needs one or more <listen> elements giving addresses"
        }
    }
}

/// The limits the configuration loader puts on its input.
public enum ConfigLimits {
    /// Largest config file read, in bytes; real ones are a few KiB.
    public static let maxFileSize = 4 * 1024 * 1024
    /// Deepest chain of `<include>`s; cycles are caught separately, this bounds the recursion.
    public static let maxIncludeDepth = 32
}
