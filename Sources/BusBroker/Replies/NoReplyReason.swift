// No Reply Reason
/// Why the broker answers a call itself with `org.freedesktop.DBus.Error.NoReply`, with
/// dbus-daemon 1.14.10's texts (bus/connection.c, `bus_pending_reply_send_no_reply`).
/// The longer "Did not receive a reply. Possible causes include: …" is libdbus's
/// client-side timeout text, not the bus's, so the broker does not send it.
public enum NoReplyReason: Hashable, Sendable {
    /// The callee disconnected with the call unanswered.
    case calleeDisconnected
    /// The deadline passed.
    case timedOut

    /// The error name of the reply.
    public static let errorName = "org.freedesktop.DBus.Error.NoReply"

    /// The text of the reply.
    public var message: String {
        switch self {
        case .calleeDisconnected: "Message recipient disconnected from message bus without replying"
        case .timedOut: "Message did not receive a reply (timeout by message bus)"
        }
    }
}
