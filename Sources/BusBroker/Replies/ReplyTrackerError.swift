// Reply Tracker Error
/// Why the tracker refused to record a call. `dbusErrorName` and `message` are
/// dbus-daemon 1.14.10's reply to the caller (bus/connection.c, `bus_connections_expect_reply`).
public enum ReplyTrackerError: Error, Hashable, Sendable {
    /// The caller already has a call with this serial awaiting its reply.
    case duplicateSerial(ReplyKey, pendingOn: PeerID)
    /// The caller already awaits `limit` replies.
    case quotaExceeded(caller: PeerID, limit: Int)

    /// The D-Bus error name of the reply.
    public var dbusErrorName: String {
        switch self {
        case .duplicateSerial: "org.freedesktop.DBus.Error.AccessDenied"
        case .quotaExceeded: "org.freedesktop.DBus.Error.LimitsExceeded"
        }
    }

    /// The text of the reply, as dbus-daemon words it.
    public var message: String {
        switch self {
        case .duplicateSerial: "Message has the same reply serial as a currently-outstanding existing method call"
        case .quotaExceeded: "The maximum number of pending replies per connection has been reached"
        }
    }

    /// The line for the broker's log: who, which limit, the figures.
    public var logMessage: String {
        switch self {
        case .duplicateSerial(let key, let callee):
            "\(key.caller.uniqueName) reused serial \(key.serial) while its call to \(callee.uniqueName) is pending"
        case .quotaExceeded(let caller, let limit):
            "The maximum number of pending replies for \"\(caller.uniqueName)\" has been reached (max_replies_per_connection=\(limit))"
        }
    }
}
