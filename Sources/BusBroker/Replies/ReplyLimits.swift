// Reply Limits
/// The limits on pending replies, with the values the reference broker ships
/// (dbus-daemon `max_replies_per_connection`, counted against the caller).
public enum ReplyLimits {
    /// dbus-daemon's session.conf (1.14.10): 50000.
    public static let sessionMaxPendingRepliesPerPeer = 50_000
    /// dbus-daemon's built-in default, which system.conf keeps (bus/config-parser.c): 128.
    public static let systemMaxPendingRepliesPerPeer = 128
}
