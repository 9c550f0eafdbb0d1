/// Broadcast Loss: the bus's report that signals meant for this connection were dropped.

/// Broadcasts (signals without a destination) the bus dropped for this connection because
/// its receive pool was full (docs/kdbus-transport.md §3.2): kdbus's "no silent loss". Only
/// the kdbus transport reports them; a classic bus drops or disconnects without telling.
public struct BroadcastLoss: Sendable, Hashable {
    /// Dropped since the previous report (at least 1).
    public let count: UInt64
    /// Dropped over the connection's life.
    public let total: UInt64
}
