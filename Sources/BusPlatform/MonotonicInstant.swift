// Monotonic Instant: a point on CLOCK_MONOTONIC, for timeouts and deadlines.
import Glibc

/// A point in time on `CLOCK_MONOTONIC`, in nanoseconds. It never jumps when the wall
/// clock is set, so reply timeouts and timers measure real elapsed time.
public struct MonotonicInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since an arbitrary start (boot, on Linux).
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The current time. `clock_gettime(CLOCK_MONOTONIC)` cannot fail with a valid clock id.
    public static func now() -> MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
    }

    /// This instant moved by `duration`; saturates instead of wrapping.
    public func advanced(by duration: Duration) -> MonotonicInstant {
        let delta = duration.wholeNanoseconds
        if delta >= 0 {
            let (sum, overflow) = nanoseconds.addingReportingOverflow(UInt64(delta))
            return MonotonicInstant(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = delta.magnitude
        return MonotonicInstant(nanoseconds: nanoseconds > magnitude ? nanoseconds - magnitude : 0)
    }

    /// Time from `self` until `later`; zero if `later` has passed.
    public func duration(until later: MonotonicInstant) -> Duration {
        later > self ? .nanoseconds(Int64(clamping: later.nanoseconds - nanoseconds)) : .zero
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public var description: String { "\(nanoseconds / 1_000_000_000).\(nanoseconds % 1_000_000_000)s" }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to Int64.
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
