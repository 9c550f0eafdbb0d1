// Broker Timer Target
//
// What the loop's timers hold instead of the broker.

/// The broker as its timers reach it, without a weak reference: a weak reference gives the
/// broker a side table, after which every retain and release of it takes the Swift
/// runtime's slow path — on the message path, that was ~5% of a round trip's instructions.
/// The broker clears `isLive` in its deinit, so a timer that fires after that does nothing.
///
/// Invariant: `broker` is read only while `isLive` is true; the broker owns this object
/// and clears `isLive` before it is gone.
final class BrokerTimerTarget {
    unowned(unsafe) let broker: Broker
    var isLive = true

    init(_ broker: Broker) { self.broker = broker }

    /// The broker, while it exists.
    var liveBroker: Broker? { isLive ? broker : nil }
}
