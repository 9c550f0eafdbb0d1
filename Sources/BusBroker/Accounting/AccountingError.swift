// Accounting Error
/// A limit on connections or on a user's share that a request would pass. `dbusErrorName`
/// and `message` are the reply (dbus-daemon 1.14's words where dbus-daemon has the limit,
/// bus/connection.c `bus_connections_check_limits`); `logMessage` is the broker's one log
/// line, naming the limit and the figures.
public enum AccountingError: Error, Hashable, Sendable {
    /// `max_completed_connections` connections have said Hello already.
    case tooManyConnections(open: Int, limit: Int)
    /// The user already has `max_connections_per_user` completed connections.
    case tooManyConnectionsForUser(uid: UInt32, open: Int, limit: Int)
    /// The user's connections together hold or wait for `max_names_per_user` well-known names.
    case tooManyNamesForUser(peer: PeerID, uid: UInt32, held: Int, limit: Int)

    /// The D-Bus error name of the reply.
    public var dbusErrorName: String { "org.freedesktop.DBus.Error.LimitsExceeded" }

    /// The limit passed, as the configuration names it.
    public var limitName: LimitName {
        switch self {
        case .tooManyConnections: .maxCompletedConnections
        case .tooManyConnectionsForUser: .maxConnectionsPerUser
        case .tooManyNamesForUser: .maxNamesPerUser
        }
    }

    /// The text of the reply.
    public var message: String {
        switch self {
        case .tooManyConnections:
            "The maximum number of active connections has been reached"
        case .tooManyConnectionsForUser(let uid, _, _):
            "The maximum number of active connections for UID \(uid) has been reached"
        case .tooManyNamesForUser(let peer, let uid, _, let limit):
            "Connection \"\(peer.uniqueName)\" is not allowed to own more services: the connections of UID \(uid) hold the maximum number of names (increase limits in configuration file if required; max_names_per_user=\(limit))"
        }
    }

    /// The broker's log line after the peer's name: dbus-daemon's "%s (%s=%d)" plus the figures.
    public var logMessage: String {
        switch self {
        case .tooManyConnections(let open, let limit):
            "\(message) (\(limitName.rawValue)=\(limit); \(open) open)"
        case .tooManyConnectionsForUser(_, let open, let limit):
            "\(message) (\(limitName.rawValue)=\(limit); \(open) open)"
        case .tooManyNamesForUser(_, let uid, let held, let limit):
            "the connections of UID \(uid) hold \(held) names (\(limitName.rawValue)=\(limit))"
        }
    }
}
