// Bench Limits: the fixed sizes and counts of the client, named in one place.

/// Every fixed size and count the client uses.
enum BenchLimits {
    /// Receive buffer a connection starts with; it grows for large messages.
    static let initialReceiveBuffer = 64 * 1024
    /// Free space guaranteed before each read, so one read can take many small messages.
    static let minimumReadSize = 16 * 1024
    /// Calls sent before their replies are read when installing many rules or pending calls:
    /// small enough that neither side's socket buffer fills, large enough to amortise waits.
    static let setupBatch = 256
    /// Ticks per acknowledged burst (see `SignalWorkloads`).
    static let signalBurst = 64
    /// Bursts the emitter may be ahead of the slowest subscriber: enough to keep every
    /// queue busy, few enough (4 × 64 queued per subscriber) that no bus's quota is at risk.
    static let burstsInFlight = 4
    /// Seconds a subscriber waits in silence before it gives up on missing signals.
    static let subscriberIdleTimeoutSeconds = 3
    /// Room beyond the largest payload a kdbus connection's arena and pool get: the header
    /// and the slice's items.
    static let kdbusHeadroom = 64 * 1024
}
