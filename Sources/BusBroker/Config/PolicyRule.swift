// Policy Rule
//
// One `<allow>` or `<deny>`, typed, with dbus-daemon's wildcard and default semantics
// already applied so the broker compiles it without re-reading the attributes.

/// An `<allow>` or `<deny>` element.
public struct PolicyRule: Equatable, Sendable {
    /// true for `<allow>`, false for `<deny>`.
    public let allow: Bool
    public let kind: Kind
    /// Where the element stands, for log lines that cite the rule.
    public let file: String
    public let line: Int

    /// What the rule is about. A rule is about exactly one of these; dbus-daemon refuses
    /// elements that mix them.
    public enum Kind: Equatable, Sendable {
        /// `send_*` attributes: messages the connection may send.
        case send(SendRule)
        /// `receive_*` attributes (or a lone `eavesdrop`): messages it may receive.
        case receive(ReceiveRule)
        /// `own` / `own_prefix`: names it may own.
        case own(NameMatch)
        /// `user`: which users may connect at all.
        case user(PolicyPrincipal)
        /// `group`: which groups may connect at all.
        case group(PolicyPrincipal)
    }
}

/// A bus name a rule matches. `*` in the file becomes `.any`.
public enum NameMatch: Equatable, Sendable {
    case any
    case exactly(String)
    /// `own_prefix` / `send_destination_prefix`: the name and every name below it
    /// (`a.b` matches `a.b` and `a.b.c`, not `a.bc`).
    case prefix(String)
}

/// The `send_*` attributes of a rule. nil means "any" (absent or `*`).
public struct SendRule: Equatable, Sendable {
    public var interface: String?
    public var member: String?
    public var error: String?
    public var destination: NameMatch = .any
    public var path: String?
    public var messageType: MessageTypeMatch?
    /// `send_requested_reply`; dbus-daemon's default is the rule's own allow/deny.
    public var requestedReply: Bool
    /// `send_broadcast`: nil for either, true for broadcast signals only, false for unicast only.
    public var broadcast: Bool?
    public var eavesdrop = false
    /// `log="true"`: log when this rule denies a message.
    public var log = false
    public var minFDs = 0
    public var maxFDs = PolicyRuleLimits.maxMessageUnixFDs
}

/// The `receive_*` attributes of a rule. nil means "any" (absent or `*`).
public struct ReceiveRule: Equatable, Sendable {
    public var interface: String?
    public var member: String?
    public var error: String?
    /// `receive_sender`.
    public var sender: String?
    public var path: String?
    public var messageType: MessageTypeMatch?
    /// `receive_requested_reply`; dbus-daemon's default is the rule's own allow/deny.
    public var requestedReply: Bool
    public var eavesdrop = false
    public var minFDs = 0
    public var maxFDs = PolicyRuleLimits.maxMessageUnixFDs
}

/// The message types `send_type` / `receive_type` accept, as written in config files.
public enum MessageTypeMatch: String, Equatable, Sendable, CaseIterable {
    case methodCall = "method_call"
    case methodReturn = "method_return"
    case signal = "signal"
    case error = "error"
}

/// Bounds on numeric rule attributes.
public enum PolicyRuleLimits {
    /// dbus-daemon's `DBUS_MAXIMUM_MESSAGE_UNIX_FDS` (maximum message length / 4): the range
    /// of `min_fds`/`max_fds`, and `max_fds`'s default, meaning "no limit".
    public static let maxMessageUnixFDs = 128 * 1024 * 1024 / 4
}
