// Bus Limits
//
// Every `<limit name="…">` dbus-daemon knows, with its default and unit.

/// The unit a limit counts in.
public enum LimitUnit: Equatable, Sendable {
    case bytes
    case fileDescriptors
    case milliseconds
    case count
}

/// The name of a `<limit>`, exactly as dbus-daemon spells it.
public enum LimitName: String, CaseIterable, Sendable {
    case maxIncomingBytes = "max_incoming_bytes"
    case maxIncomingUnixFDs = "max_incoming_unix_fds"
    case maxOutgoingBytes = "max_outgoing_bytes"
    case maxOutgoingUnixFDs = "max_outgoing_unix_fds"
    case maxMessageSize = "max_message_size"
    case maxMessageUnixFDs = "max_message_unix_fds"
    case serviceStartTimeout = "service_start_timeout"
    case authTimeout = "auth_timeout"
    case pendingFDTimeout = "pending_fd_timeout"
    case replyTimeout = "reply_timeout"
    case maxCompletedConnections = "max_completed_connections"
    case maxIncompleteConnections = "max_incomplete_connections"
    case maxConnectionsPerUser = "max_connections_per_user"
    case maxPendingServiceStarts = "max_pending_service_starts"
    case maxNamesPerConnection = "max_names_per_connection"
    case maxMatchRulesPerConnection = "max_match_rules_per_connection"
    case maxRepliesPerConnection = "max_replies_per_connection"
    case maxContainers = "max_containers"
    case maxContainersPerUser = "max_containers_per_user"
    case maxContainerMetadataBytes = "max_container_metadata_bytes"
    case maxConnectionsPerContainer = "max_connections_per_container"
    /// swiftbusd's own: the well-known names all connections of one uid may hold or queue
    /// for together (DESIGN §5 fair shares). dbus-daemon rejects a file that sets it.
    case maxNamesPerUser = "max_names_per_user"

    /// What the value counts.
    public var unit: LimitUnit {
        switch self {
        case .maxIncomingBytes, .maxOutgoingBytes, .maxMessageSize, .maxContainerMetadataBytes: .bytes
        case .maxIncomingUnixFDs, .maxOutgoingUnixFDs, .maxMessageUnixFDs: .fileDescriptors
        case .serviceStartTimeout, .authTimeout, .pendingFDTimeout, .replyTimeout: .milliseconds
        default: .count
        }
    }

    /// dbus-daemon's built-in value (bus/config-parser.c), used when no file sets it.
    public var defaultValue: Int {
        switch self {
        case .maxIncomingBytes, .maxOutgoingBytes: 127 * 1024 * 1024
        case .maxMessageSize: 32 * 1024 * 1024
        case .maxIncomingUnixFDs, .maxOutgoingUnixFDs: 4 * Self.defaultMessageUnixFDs
        case .maxMessageUnixFDs: Self.defaultMessageUnixFDs
        case .serviceStartTimeout: 25_000
        case .authTimeout: 30_000
        case .pendingFDTimeout: 150_000
        case .replyTimeout: Self.never
        case .maxCompletedConnections: 2048
        case .maxIncompleteConnections: 64
        case .maxConnectionsPerUser: 256
        case .maxPendingServiceStarts, .maxNamesPerConnection, .maxMatchRulesPerConnection, .maxContainers: 512
        case .maxRepliesPerConnection: 128
        case .maxContainersPerUser: 16
        case .maxContainerMetadataBytes: 4096
        case .maxConnectionsPerContainer: 8
        // dbus-broker's conversion of per-connection limits into a user's share.
        case .maxNamesPerUser: 256 * 512
        }
    }

    /// dbus-daemon stores these in an `int`, so a config value must fit 32 bits; the byte
    /// and fd limits are `long`.
    var mustFitInt32: Bool {
        switch self {
        case .maxIncomingBytes, .maxIncomingUnixFDs, .maxOutgoingBytes, .maxOutgoingUnixFDs,
             .maxMessageSize, .maxMessageUnixFDs: false
        default: true
        }
    }

    /// dbus-daemon's `DBUS_DEFAULT_MESSAGE_UNIX_FDS`.
    public static let defaultMessageUnixFDs = 16
    /// The value of a timeout that never fires (`reply_timeout`'s default).
    public static let never = -1
}

/// The value of every limit: what the configuration set, dbus-daemon's default otherwise.
public struct BusLimits: Equatable, Sendable {
    private var values: [Int] = LimitName.allCases.map(\.defaultValue)
    /// Limits a file set explicitly, in the order set.
    public private(set) var explicitlySet: [LimitName] = []

    public init() {}

    public subscript(name: LimitName) -> Int {
        get { values[Self.index(of: name)] }
        set {
            values[Self.index(of: name)] = newValue
            if !explicitlySet.contains(name) { explicitlySet.append(name) }
        }
    }

    private static func index(of name: LimitName) -> Int {
        LimitName.allCases.firstIndex(of: name)!  // every case is in allCases
    }
}
