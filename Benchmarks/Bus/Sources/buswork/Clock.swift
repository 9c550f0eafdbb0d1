// Clock: the monotonic clock every process of a run shares.
import Glibc

/// CLOCK_MONOTONIC in nanoseconds. It is system-wide, so the runner can subtract a time
/// printed by one process (an emitter's start) from one printed by another (a subscriber's end).
enum Clock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
