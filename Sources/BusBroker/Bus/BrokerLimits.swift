// Broker Limits
//
// The broker's own fixed numbers, and the configured limits in the form the message
// path reads them.

/// Sizes and batch counts of the broker itself, named once.
enum BrokerLimits {
    /// A new peer's input buffer; it grows once if the peer sends a larger message. Small,
    /// because idle peers should cost little memory.
    static let initialInputCapacity = 16 * 1024
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
