// Broker Limits
//
// The broker's own fixed numbers, and the configured limits in the form the message
// path reads them.

/// Sizes and batch counts of the broker itself, named once.
enum BrokerLimits {
    /// The one read buffer every peer with nothing buffered reads into (`SharedReadBuffer`):
    /// large enough that a pipelining peer's burst takes one `recvmsg`.
    static let sharedReadCapacity = 64 * 1024
    /// The smallest own buffer a peer gets for the start of a message left over after a read.
    static let minimumInputCapacity = 1024
    /// Own input storage up to this size is kept for the next partial message; larger
    /// storage is freed once empty, so a burst of big messages does not pin memory.
    static let keptInputCapacity = 16 * 1024
    /// The first buffer an output queue allocates; it doubles from there.
    static let minimumOutputCapacity = 512
    /// A drained output queue keeps its buffer up to this size for the next messages;
    /// a larger one (left by a burst) is freed.
    static let keptOutputCapacity = 64 * 1024
    /// Reads per readiness event before the loop serves other peers.
    static let readsPerEvent = 8
    /// Connections one listener accepts per readiness event.
    static let acceptsPerEvent = 32
    /// Initial capacity of the writer that rewrites each forwarded message.
    static let rewriteBufferCapacity = 64 * 1024
}

/// The configured limits the broker checks, read once from `BusLimits` (and again on reload).
public struct RuntimeLimits: Sendable {
    public var maxMessageSize: Int
    public var maxIncomingBytes: Int
    public var maxIncomingUnixFDs: Int
    public var maxMessageUnixFDs: Int
    public var maxOutgoingBytes: Int
    public var maxOutgoingUnixFDs: Int
    public var maxMatchRulesPerConnection: Int
    public var maxCompletedConnections: Int
    public var maxIncompleteConnections: Int
    public var maxConnectionsPerUser: Int
    /// swiftbusd's per-user share of well-known names (`max_names_per_user`).
    public var maxNamesPerUser: Int
    /// Milliseconds a connection may hold fds whose message has not fully arrived.
    public var pendingFDTimeout: Int
    /// Milliseconds; nil means calls never time out.
    public var replyTimeout: Int?
    /// Milliseconds a connection may take to authenticate and say Hello.
    public var authTimeout: Int

    public init(_ limits: BusLimits) {
        maxMessageSize = limits[.maxMessageSize]
        maxIncomingBytes = limits[.maxIncomingBytes]
        maxIncomingUnixFDs = limits[.maxIncomingUnixFDs]
        maxMessageUnixFDs = limits[.maxMessageUnixFDs]
        maxOutgoingBytes = limits[.maxOutgoingBytes]
        maxOutgoingUnixFDs = limits[.maxOutgoingUnixFDs]
        maxMatchRulesPerConnection = limits[.maxMatchRulesPerConnection]
        maxCompletedConnections = limits[.maxCompletedConnections]
        maxIncompleteConnections = limits[.maxIncompleteConnections]
        maxConnectionsPerUser = limits[.maxConnectionsPerUser]
        maxNamesPerUser = limits[.maxNamesPerUser]
        pendingFDTimeout = limits[.pendingFDTimeout]
        let timeout = limits[.replyTimeout]
        replyTimeout = timeout > 0 ? timeout : nil
        authTimeout = limits[.authTimeout]
    }
}
