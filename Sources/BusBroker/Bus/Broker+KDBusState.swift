// KDBus Broker State: the broker-wide pieces of the kdbus transport.
import DBusWire

/// What the broker keeps for the kdbus transport as a whole: the private buffer every SEND
/// is copied into before it is validated and routed (one buffer for the broker, so it
/// costs memory once and allocates only when a larger message arrives), the priority of
/// the message being routed, and the bus-wide message sequence number slices carry.
final class KDBusBrokerState {
    /// Every SEND is copied here before it is validated and routed.
    private var copy = ScratchBuffer(initialCapacity: KDBusBrokerState.initialCopyCapacity,
                                     retainedCapacity: KDBusBrokerState.retainedCopyCapacity)
    /// The rewritten header of a message forwarded to a pool, written here, then copied into
    /// the slice. A broker buffer rather than a stack allocation per message: the closure that
    /// needed cost three retains and releases of its captures.
    private var header = ScratchBuffer(initialCapacity: KDBusBrokerState.initialHeaderCapacity,
                                       retainedCapacity: KDBusBrokerState.retainedCopyCapacity)
    /// The SEND priority of the message being routed; 0 for classic senders and the driver.
    var currentPriority: Int32 = 0
    /// The memfd parts of the message being routed, if it came with any.
    var currentParts: KDBusBodyParts?
    /// The message being routed on the one-copy path (docs/kdbus-transport.md §6): its header
    /// was validated in broker memory, its body still lies in the sender's arena, and the
    /// pool slice it is copied into validates it before the RECV goes out.
    var unvalidatedBody: UnvalidatedBody?
    /// Set when that validation failed: the sender is disconnected once routing returns.
    var rejectedBody: WireError?
    /// The peer whose message is being routed (nil while the driver sends its own): what
    /// metadata items in a slice describe. `unowned(unsafe)`: it is set only while `route`
    /// runs, whose caller holds the sender, so it needs no reference count — a retain and a
    /// release on every message otherwise.
    unowned(unsafe) var currentSender: Peer?
    /// Counts messages entering the bus (`Broker.route`, driver messages); slices carry it.
    var sequence: UInt64 = 0
    /// Largest pool and arena granted (`KDBusLimits` by default).
    var maxPoolSize = KDBusLimits.maxPoolSize
    var maxArenaSize = KDBusLimits.maxArenaSize
    /// Smallest body that takes the one-copy path (docs/kdbus-transport.md §6). Measured with
    /// callgrind on the release broker, instructions per kdbus round trip, copy-first against
    /// one-copy: 8 B 34.9 k / 38.3 k, 4 KiB 36.5 k / 39.1 k, 16 KiB 107 k / 74 k, 64 KiB
    /// 323 k / 182 k — below a few KiB the second copy costs less than deciding to skip it.
    static let oneCopyMinimumBody = 8 * 1024
    /// The copy buffer's first size: most messages are small.
    static let initialCopyCapacity = 64 * 1024
    /// Largest copy buffer kept between messages (1 MiB).
    static let retainedCopyCapacity = 1024 * 1024

    /// The header buffer's first size: a rewritten header is rarely longer.
    static let initialHeaderCapacity = 4 * 1024

    init() {}

    /// What describes the message being routed (its priority and memfd parts); a message the
    /// driver sends meanwhile must not inherit it.
    struct SenderContext {
        var priority: Int32
        var parts: KDBusBodyParts?
        var sender: Peer?
        var unvalidatedBody: UnvalidatedBody?
    }

    /// A header validated in broker memory and its body where the sender wrote it.
    /// Valid only while the SEND that carried it is being routed.
    struct UnvalidatedBody {
        var header: MessageHeaderView
        var bytes: UnsafeRawBufferPointer
    }

    /// Starts routing a message from `sender`: a new sequence number, and the sender for
    /// slices. Returns the sender routed before, which `leave` restores (routing can nest: a
    /// driver call's replies).
    func enter(from sender: Peer) -> Peer? {
        sequence &+= 1
        let previous = currentSender
        currentSender = sender
        return previous
    }

    func leave(restoring previous: Peer?) {
        currentSender = previous
    }

    /// Clears the sender context for a driver message; `resume` puts it back.
    func suspendSenderContext() -> SenderContext {
        defer {
            currentPriority = 0
            currentParts = nil
            currentSender = nil
            unvalidatedBody = nil
        }
        return SenderContext(priority: currentPriority, parts: currentParts, sender: currentSender, unvalidatedBody: unvalidatedBody)
    }

    func resume(_ context: SenderContext) {
        currentPriority = context.priority
        currentParts = context.parts
        currentSender = context.sender
        unvalidatedBody = context.unvalidatedBody
    }

    /// The copy buffer, at least `length` bytes; grows (the only allocation) when needed.
    func copyBuffer(length: Int) -> UnsafeMutableRawBufferPointer { copy.bytes(length: length) }

    /// Gives back a copy buffer grown past `retainedCopyCapacity` by a large message.
    func shrinkCopyBuffer() { copy.shrink() }

    /// The header buffer, at least `length` bytes; grows (the only allocation) when needed.
    /// Valid until the next call; nothing that runs while a forwarded header is in it asks again.
    func headerBuffer(length: Int) -> UnsafeMutableRawBufferPointer { header.bytes(length: length) }

    /// Gives back a header buffer grown past `retainedCopyCapacity` by a huge header.
    func shrinkHeaderBuffer() { header.shrink() }
}
