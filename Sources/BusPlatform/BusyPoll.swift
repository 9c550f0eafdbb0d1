// Busy Poll: how long an event loop keeps polling before it sleeps, adapted to the traffic.

/// An event loop that sleeps in `epoll_wait` is woken by an inter-processor interrupt
/// when its peer runs on another CPU; on this project's VM that costs ~25 µs per wake-up,
/// and a round trip through a broker wakes a sleeper four times. A broker that polls for
/// a few tens of microseconds after its last event, before sleeping, is already running
/// when the next message of a conversation arrives: a kdbus 8 B round trip went from
/// ~107 µs to ~40 µs unpinned (BENCHMARKS.md). Linux's KVM does the same for idle vCPUs
/// (`halt_poll_ns`), and so does this type's rule:
///
/// - The loop polls (non-blocking waits, yielding the CPU between them) for `budget`
///   before each blocking wait.
/// - A blocking wait that slept no longer than `maximum` before an event came would have
///   been saved by a longer poll: the budget doubles (from `firstBudget`), up to `maximum`.
/// - A longer sleep, or one that ended without an event, halves it; below `firstBudget`
///   it drops to zero. So a bus with sporadic traffic stops polling after a few sleeps,
///   and an idle bus never polls; at most about 2 × `maximum` is spent per burst.
///
/// On one CPU (a bus pinned with `taskset`, a one-CPU machine) polling pays too, because
/// the loop yields between its tries: the peers it just woke run in its yields, and their
/// answers are caught without the loop's sleep and wake-up (pinned kdbus 8 B round trip:
/// 24.3 → 20.3 µs, side by side; BENCHMARKS.md).
public struct BusyPoll: Sendable, Equatable {
    /// The longest poll before a blocking wait, in nanoseconds; 0 never polls.
    public let maximum: UInt64
    /// The current poll length, in nanoseconds (0 … `maximum`).
    public private(set) var budget: UInt64 = 0
    /// Polls that found an event, so the loop did not sleep: the wake-ups saved.
    public private(set) var caught: UInt64 = 0

    /// Where a growing budget starts (10 µs): shorter polls rarely catch a wake-up here.
    public static let firstBudget: UInt64 = 10_000

    /// No polling at all.
    public static let off = BusyPoll(maximum: 0)

    public init(maximum: UInt64) { self.maximum = maximum }

    /// Counts a poll that found events (the budget stays: it paid off).
    public mutating func afterCatch() { caught &+= 1 }

    /// Adapts the budget after a blocking wait that slept `slept` nanoseconds and ended
    /// with (`woke`) or without events.
    public mutating func afterSleep(_ slept: UInt64, woke: Bool) {
        guard maximum > 0 else { return }
        if woke && slept <= maximum {
            budget = min(maximum, max(budget * 2, Self.firstBudget))
        } else {
            budget /= 2
            if budget < Self.firstBudget { budget = 0 }
        }
    }
}
