// KDBus Received Message: one RECV, as the client channel hands it out.
import DBusWire

/// A message the broker placed in the receive pool (docs/kdbus-transport.md §5.3, §7). It
/// names its slice; read the message with `KDBusChannel.withMessage` and give the slice back
/// with `KDBusChannel.release` once done. The fds it carried are the caller's to close.
public struct KDBusReceivedMessage: Sendable, Hashable {
    /// Where the slice lies in the pool, as the RECV named it; FREE gives this back.
    public let poolOffset: UInt64
    public let sliceLength: UInt64
    /// The sender's priority (lower is more urgent).
    public let priority: Int32
    /// The bus-wide sequence number from the slice header.
    public let sequence: UInt64
    /// Every item of the slice, payload and metadata, in order (unknown types included).
    public let items: [KDBusItem]
    /// The message's fds (its `UNIX_FDS`), owned by the caller.
    public let fds: [CInt]
    /// Memfds holding body parts, indexed by payload-memfd items; owned by the channel
    /// until `release`.
    public let memfds: [CInt]
    /// The sender's pidfd when the slice has a pidfd item (metadata `pidfd` asked for), owned
    /// by the caller.
    public let processDescriptor: CInt?
    /// The slice's metadata items, decoded (empty when the connection asked for none).
    public var metadata: KDBusMetadata { metadataStorage?.metadata ?? KDBusMetadata() }
    /// Out of line, and nil when the connection asked for none: `KDBusMetadata` is large,
    /// and a message is copied on its way out of the channel (callgrind: ~400 instructions
    /// per round trip of copies and retains for an empty one).
    private let metadataStorage: MetadataStorage?
    /// Broadcasts the broker dropped for this connection (pool full) and reported since the
    /// previous message was received.
    public let broadcastsLostBefore: UInt64

    init(poolOffset: UInt64, sliceLength: UInt64, priority: Int32, sequence: UInt64, items: [KDBusItem], fds: [CInt],
         memfds: [CInt], processDescriptor: CInt?, metadata: KDBusMetadata?, broadcastsLostBefore: UInt64) {
        self.poolOffset = poolOffset
        self.sliceLength = sliceLength
        self.priority = priority
        self.sequence = sequence
        self.items = items
        self.fds = fds
        self.memfds = memfds
        self.processDescriptor = processDescriptor
        self.metadataStorage = metadata.map(MetadataStorage.init)
        self.broadcastsLostBefore = broadcastsLostBefore
    }

    /// The decoded metadata of one message, shared by the message's copies; compared and
    /// hashed by value.
    private final class MetadataStorage: Sendable, Hashable {
        let metadata: KDBusMetadata
        init(_ metadata: KDBusMetadata) { self.metadata = metadata }
        static func == (lhs: MetadataStorage, rhs: MetadataStorage) -> Bool { lhs.metadata == rhs.metadata }
        func hash(into hasher: inout Hasher) { hasher.combine(metadata) }
    }
}
