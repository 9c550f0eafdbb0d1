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
    /// Signals an emitter sends before it waits for the bus (one driver round trip), so the
    /// bus's queues to the subscribers stay bounded and the test measures delivery, not
    /// queue overflow.
    static let signalBurst = 64
    /// Seconds a subscriber waits in silence before it gives up on missing signals.
    static let subscriberIdleTimeoutSeconds = 3
}
