// Name Registry Error
/// Why the registry refused a `RequestName` or `ReleaseName`. Each case carries what the
/// error reply needs, and `dbusErrorName`/`message` give dbus-daemon 1.14.10's exact reply
/// (taken from bus/services.c and checked against the installed binary), so clients that
/// match on the text keep working.
public enum NameRegistryError: Error, Hashable, Sendable {
    /// A peer asked for a name starting with ':'; only the bus assigns those.
    case requestedUniqueName(String)
    /// A peer asked for `org.freedesktop.DBus`.
    case requestedBusName(peer: PeerID)
    /// A peer tried to release a name starting with ':'.
    case releasedUniqueName(String)
    /// A peer tried to release `org.freedesktop.DBus`.
    case releasedBusName
    /// The peer already holds `limit` names, counting its unique name and every queue it waits in.
    case quotaExceeded(peer: PeerID, limit: Int)

    /// The D-Bus error name of the reply.
    public var dbusErrorName: String {
        switch self {
        case .requestedUniqueName, .requestedBusName, .releasedUniqueName, .releasedBusName:
            "org.freedesktop.DBus.Error.InvalidArgs"
        case .quotaExceeded:
            "org.freedesktop.DBus.Error.LimitsExceeded"
        }
    }

    /// The text of the reply, as dbus-daemon words it.
    public var message: String {
        switch self {
        case .requestedUniqueName(let name):
            return "Cannot acquire a service starting with ':' such as \"\(name)\""
        case .requestedBusName(let peer):
            // The missing space before "because" is dbus-daemon's own (1.14.10 sends it so).
            return "Connection \"\(peer.uniqueName)\" is not allowed to own the service \"\(NameLimits.busName)\"because it is reserved for D-Bus' use only"
        case .releasedUniqueName(let name):
            return "Cannot release a service starting with ':' such as \"\(name)\""
        case .releasedBusName:
            return "Cannot release the \(NameLimits.busName) service because it is owned by the bus"
        case .quotaExceeded(let peer, let limit):
            return "Connection \"\(peer.uniqueName)\" is not allowed to own more services (increase limits in configuration file if required; max_names_per_connection=\(limit))"
        }
    }
}
