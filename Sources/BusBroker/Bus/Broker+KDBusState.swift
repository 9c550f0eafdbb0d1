// KDBus Broker State: the broker-wide pieces of the kdbus transport.
import DBusWire

/// What the broker keeps for the kdbus transport as a whole: the private buffer every SEND
/// is copied into before it is validated and routed (one buffer for the broker, so it
/// costs memory once and allocates only when a larger message arrives), the priority of
/// the message being routed, and the bus-wide message sequence number slices carry.
final class KDBusBrokerState {
    // Invariant: `copy` is `capacity` bytes we own, freed once in deinit.
    private var copy: UnsafeMutableRawPointer
    private var capacity: Int
    /// The SEND priority of the message being routed; 0 for classic senders and the driver.
    var currentPriority: Int32 = 0
    /// Counts messages entering the bus (`Broker.route`, driver messages); slices carry it.
    var sequence: UInt64 = 0
    /// Largest pool and arena granted (`KDBusLimits` by default).
    var maxPoolSize = KDBusLimits.maxPoolSize
    var maxArenaSize = KDBusLimits.maxArenaSize
    /// The copy buffer's first size: most messages are small.
    static let initialCopyCapacity = 64 * 1024

    init() {
        capacity = KDBusBrokerState.initialCopyCapacity
        copy = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { copy.deallocate() }

    /// The copy buffer, at least `length` bytes; grows (the only allocation) when needed.
    func copyBuffer(length: Int) -> UnsafeMutableRawBufferPointer {
        if length > capacity {
            copy.deallocate()
            capacity = max(length, capacity * 2)
            copy = .allocate(byteCount: capacity, alignment: 8)
        }
        return UnsafeMutableRawBufferPointer(start: copy, count: length)
    }
}
