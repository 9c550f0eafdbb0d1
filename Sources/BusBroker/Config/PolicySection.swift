// Policy Section
//
// One `<policy>` block: whom it applies to and its rules in order.

/// A `<policy>` element: the context that selects the connections it applies to, and its
/// `<allow>`/`<deny>` rules in document order (later rules override earlier ones when the
/// broker evaluates them, as in dbus-daemon).
public struct PolicySection: Equatable, Sendable {
    public let context: PolicyContext
    public var rules: [PolicyRule]
    /// Where the `<policy>` tag stands, for log lines about its rules.
    public let file: String
    public let line: Int
}

/// Which connections a `<policy>` block applies to. dbus-daemon applies `default` first,
/// then group, user and console blocks, then `mandatory`, which nothing can override.
public enum PolicyContext: Equatable, Sendable {
    case defaultContext
    case mandatory
    /// `user="name"`, a numeric uid, or `*`; names are resolved by the broker at load time.
    case user(PolicyPrincipal)
    /// `group="name"`, a numeric gid, or `*`.
    case group(PolicyPrincipal)
    /// `at_console="true|false"`: kept for compatibility; systemd systems no longer set it.
    case atConsole(Bool)
}

/// A user or group named in policy: a name or number as written, or `*` for anyone.
public enum PolicyPrincipal: Equatable, Sendable {
    case any
    case named(String)

    init(_ text: String) { self = text == "*" ? .any : .named(text) }
}
