// Subscriber Progress: how many bursts of ticks every live subscriber has received.

/// Tracks the tick count of each subscriber connection and reports when the slowest live
/// one completes another burst: that is when the subscriber process acknowledges the burst
/// to the emitter, so the emitter never runs more than a window ahead of the slowest
/// reader, and a bus has no reason to drop anything.
struct SubscriberProgress {
    private var ticks: [Int]
    private var live: [Bool]
    private let burst: Int
    /// Bursts every live subscriber has received in full.
    private(set) var completedBursts = 0

    init(subscribers: Int, burst: Int) {
        ticks = [Int](repeating: 0, count: subscribers)
        live = [Bool](repeating: true, count: subscribers)
        self.burst = burst
    }

    var totalTicks: Int { ticks.reduce(0, +) }

    /// Records one tick on `subscriber`; true when that completed a burst for all of them.
    mutating func recordTick(on subscriber: Int) -> Bool {
        ticks[subscriber] += 1
        return ticks[subscriber] == (completedBursts + 1) * burst && advance()
    }

    /// A subscriber the bus disconnected no longer holds the others back.
    mutating func remove(_ subscriber: Int) -> Bool {
        live[subscriber] = false
        return advance()
    }

    private mutating func advance() -> Bool {
        let slowest = ticks.indices.filter { live[$0] }.map { ticks[$0] }.min() ?? Int.max
        guard slowest >= (completedBursts + 1) * burst else { return false }
        completedBursts = slowest / burst
        return true
    }
}
