// KDBus Metadata Context: the message being routed, as its metadata items describe it.
import DBusWire
import Glibc

/// Which message the broker is routing, for the metadata items of the slices it writes: its
/// bus-wide sequence number and the time it was received (its sender is
/// `KDBusBrokerState.currentSender`). The clocks are read once per message, when the first slice that wants the
/// timestamp is written (during the routing of the message, in the same loop turn as its
/// receipt), so messages nobody asked the time of cost no clock read.
struct KDBusMetadataContext {
    private(set) var sequence: UInt64 = 0
    private var timestamp: KDBusMetadata.Timestamp?

    /// A message enters the bus with `sequence`.
    mutating func begin(sequence: UInt64) {
        self.sequence = sequence
        timestamp = nil
    }

    /// The driver sends messages while routing a peer's (a reply, NameOwnerChanged): it
    /// saves the routed message's context with this and puts it back after.
    var saved: KDBusMetadataContext { self }

    /// The receipt time of the current message, read on first use.
    mutating func currentTimestamp() -> KDBusMetadata.Timestamp {
        if let timestamp { return timestamp }
        let taken = KDBusMetadata.Timestamp(
            sequence: sequence, monotonicNanoseconds: Self.now(CLOCK_MONOTONIC), realtimeNanoseconds: Self.now(CLOCK_REALTIME))
        timestamp = taken
        return taken
    }

    private static func now(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
