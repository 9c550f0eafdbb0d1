// Name Limits
/// The limits on name ownership, with the values the reference broker ships.
public enum NameLimits {
    /// dbus-daemon's `max_names_per_connection` in its own session.conf (1.14.10).
    public static let sessionMaxNamesPerPeer = 50_000
    /// dbus-daemon's built-in `max_names_per_connection`, which system.conf keeps (bus/config-parser.c).
    public static let systemMaxNamesPerPeer = 512
    /// The name no peer may own or release: the bus driver's own.
    public static let busName = "org.freedesktop.DBus"
}
