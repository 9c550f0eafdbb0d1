// Policy Decision
//
// The outcome of checking one message against one peer's rules.

/// What a send or receive check decided. The counts are dbus-daemon's "N matched rules":
/// how many of the peer's rules (after dbus-daemon's override pruning) matched the message,
/// which its AccessDenied text reports and `AccessDeniedText` reproduces.
public enum PolicyDecision: Equatable, Sendable {
    /// Deliver it.
    case allow
    /// Deliver it, but the deciding rule carries `log="true"`: dbus-daemon logs
    /// "Would reject message" (see `AccessDeniedText.Complaint.wouldReject`).
    case allowAndLog(matchedRules: Int)
    /// Refuse it with `org.freedesktop.DBus.Error.AccessDenied`.
    case deny(matchedRules: Int)

    public var isAllowed: Bool {
        if case .deny = self { return false }
        return true
    }
}
