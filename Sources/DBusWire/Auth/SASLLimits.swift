/// The bounds on a SASL conversation, so that a peer that never finishes authenticating
/// costs the server a bounded amount of memory and work.
public enum SASLLimits {
    /// Longest line, CRLF included: 16 KiB, dbus-broker's `IQUEUE_LINE_MAX`, itself taken
    /// from dbus-daemon's auth buffer size.
    public static let maxLineLength = 16 * 1024
    /// REJECTED replies before the server gives up: dbus-daemon's `max_failures`. The
    /// failure that reaches it is still answered (in `SASLError.finalReply`), then the
    /// conversation ends, as dbus-daemon 1.14 does.
    public static let maxRejections = 6
    /// Commands a peer may send before BEGIN. A real client needs at most six (AUTH to list
    /// mechanisms, AUTH, DATA, NEGOTIATE_UNIX_FD, an extension, BEGIN); neither reference
    /// server has such a bound, so a peer could otherwise chat forever with unknown commands.
    public static let maxCommands = 64
}
