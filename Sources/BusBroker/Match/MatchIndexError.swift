// Match Index Error
/// Why `AddMatch` or `RemoveMatch` failed. `dbusErrorName` and `message` give the reply
/// dbus-daemon 1.14.10 sends (texts checked against the installed binary), so clients that
/// match on them keep working.
public enum MatchIndexError: Error, Hashable, Sendable {
    /// The peer already has `limit` rules installed (every copy of an identical rule counts).
    case tooManyRules(peer: PeerID, limit: Int)
    /// `RemoveMatch` named a rule the peer does not have; `MatchIndex.remove` returns false
    /// and the driver answers with this.
    case ruleNotFound(peer: PeerID)

    /// The D-Bus error name of the reply.
    public var dbusErrorName: String {
        switch self {
        case .tooManyRules: "org.freedesktop.DBus.Error.LimitsExceeded"
        case .ruleNotFound: "org.freedesktop.DBus.Error.MatchRuleNotFound"
        }
    }

    /// The text of the reply, as dbus-daemon words it.
    public var message: String {
        switch self {
        case .tooManyRules(let peer, let limit):
            "Connection \"\(peer.uniqueName)\" is not allowed to add more match rules (increase limits in configuration file if required; max_match_rules_per_connection=\(limit))"
        case .ruleNotFound:
            "The given match rule wasn't found and can't be removed"
        }
    }
}
