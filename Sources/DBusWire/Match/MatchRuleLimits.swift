/// Match Rule Limits
///
/// The limits the bus puts on `AddMatch` rules, named once so parser, errors and tests cite the same numbers.
public enum MatchRuleLimits {
    /// Longest rule text accepted from a peer, in bytes (`DBUS_MAXIMUM_MATCH_RULE_LENGTH` in
    /// dbus-daemon, `MATCH_RULE_LENGTH_MAX` in dbus-broker).
    public static let maxRuleLength = 1024
    /// Highest argument index a rule may test: `arg0` … `arg63` (`DBUS_MAXIMUM_MATCH_RULE_ARG_NUMBER`).
    public static let maxArgumentIndex = 63
}
