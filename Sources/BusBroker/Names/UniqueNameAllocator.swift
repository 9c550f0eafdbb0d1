// Unique Name Allocator
/// Hands out the peer IDs, and with them the unique names `:1.N`, in connection order.
/// The first peer gets `:1.0`, as with dbus-daemon 1.14.10 (observed: the first `Hello`
/// on a fresh `dbus-daemon --nofork` returns `:1.0`). Numbers are never reused: a `UInt64`
/// cannot wrap in the life of a process, and if it somehow did, the increment traps
/// rather than hand out a name that another peer once had.
public struct UniqueNameAllocator: Sendable {
    private var nextNumber: UInt64

    /// Starts at `:1.0`; `first` is for tests and for a broker restarted with a base.
    public init(first: UInt64 = 0) { self.nextNumber = first }

    /// The next peer ID; its unique name is `peer.uniqueName`.
    public mutating func allocate() -> PeerID {
        let peer = PeerID(nextNumber)
        nextNumber += 1
        return peer
    }
}
