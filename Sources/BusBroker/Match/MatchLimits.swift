// Match Limits
/// The limits on match rules, with the values the reference broker ships.
public enum MatchLimits {
    /// dbus-daemon's `max_match_rules_per_connection` in its own session.conf (1.14.10).
    public static let sessionMaxRulesPerPeer = 50_000
    /// dbus-daemon's built-in `max_match_rules_per_connection`, which system.conf keeps
    /// (bus/config-parser.c).
    public static let systemMaxRulesPerPeer = 512
    /// The bus driver's name: a rule naming it as sender matches what the bus itself sends.
    static let busName = "org.freedesktop.DBus"
}
