// Bus Configuration
//
// Everything a `<busconfig>` file and its includes say, merged as dbus-daemon merges them.

/// The broker's configuration, as read from a busconfig file and everything it includes.
/// Single values set by a later file win; lists append in document order, includes inlined
/// where they stand. Nothing here is interpreted: addresses stay strings for `DBusAddress`,
/// user names stay names, and policy stays an ordered rule list for the broker to compile.
public struct BusConfig: Equatable, Sendable {
    /// `<type>`: the well-known bus this is; nil if no file says.
    public var type: BusType?
    /// `<user>`: the user to run as after binding the sockets.
    public var user: String?
    /// `<listen>`: addresses to listen on, in order.
    public var listen: [String] = []
    /// `<auth>`: SASL mechanisms allowed, in order; empty means all.
    public var authMechanisms: [String] = []
    /// `<allow_anonymous/>`: let unauthenticated clients connect (with ANONYMOUS).
    public var allowAnonymous = false
    /// `<fork/>`: daemonize, unless the command line says otherwise.
    public var fork = false
    /// `<keep_umask/>`: keep the caller's umask when forking.
    public var keepUmask = false
    /// `<syslog/>`: log to the system log.
    public var syslog = false
    /// `<pidfile>`: where to write the pid.
    public var pidFile: String?
    /// `<servicehelper>`: setuid helper for system-bus activation (absolute path).
    public var serviceHelper: String?
    /// `<servicedir>` and the standard sets, in order, without duplicates.
    public var serviceDirectories: [ServiceDirectory] = []
    /// Every `<includedir>` that existed, to watch for reloads.
    public var configDirectories: [String] = []
    /// `<limit>`s, with dbus-daemon's defaults for those not set.
    public var limits = BusLimits()
    /// `<policy>` blocks in document order, includes inlined.
    public var policies: [PolicySection] = []
    /// `<selinux><associate own=… context=…/>` pairs: parsed, kept, not enforced.
    public var selinuxAssociations: [SelinuxAssociation] = []
    /// Every file read, in the order read, the top-level file first.
    public var files: [String] = []
    /// Things worth a log line that did not stop the load.
    public var notes: [ConfigNote] = []

    public init() {}

    /// Adds a service directory unless it is already listed (dbus-daemon keeps the first).
    mutating func addServiceDirectory(_ directory: ServiceDirectory) {
        if !serviceDirectories.contains(directory) { serviceDirectories.append(directory) }
    }
}

/// `<type>`: which well-known bus this configuration runs.
public enum BusType: Equatable, Sendable {
    case session
    case system
    /// Any other name; dbus-daemon accepts any string here.
    case custom(String)

    init(_ text: String) {
        switch text {
        case "session": self = .session
        case "system": self = .system
        default: self = .custom(text)
        }
    }

    /// The name as written in a config file.
    public var name: String {
        switch self {
        case .session: "session"
        case .system: "system"
        case .custom(let name): name
        }
    }
}

/// Where `.service` files for activation are looked up.
public enum ServiceDirectory: Equatable, Sendable {
    /// `<servicedir>`: one directory, made absolute against the file that named it.
    case path(String)
    /// `<standard_session_servicedirs/>`: the XDG data directories' `dbus-1/services`; the
    /// activation code expands it, since it depends on the environment at start-up.
    case standardSession
    /// `<standard_system_servicedirs/>`: `/usr/share/dbus-1/system-services` and friends.
    case standardSystem
}

/// One `<associate own="name" context="label"/>` inside `<selinux>`.
public struct SelinuxAssociation: Equatable, Sendable {
    public let ownedName: String
    public let context: String
}

/// A message about the configuration that does not stop the broker: an ignored element,
/// a file in an `<includedir>` that failed to load (dbus-daemon logs and skips those).
public struct ConfigNote: Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}
