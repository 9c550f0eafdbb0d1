// Pool Limits: the sizes the pool and arena mechanics depend on.

/// Bounds of the pool and arena memory objects. The transport's negotiable sizes live in
/// DBusWire's `KDBusLimits`; these are the ones the memory mechanics need on their own.
public enum PoolLimits {
    /// Slices are multiples of 8 bytes at 8-byte offsets, as kdbus's (`KDBUS_ALIGN8`), so
    /// every u64 in a slice is naturally aligned.
    public static let sliceAlignment = 8
    /// Entries in each record ring; a power of two (DBusWire's `KDBusLimits.ringEntries`).
    public static let ringEntries = 1024
    /// Bytes per ring entry: one 32-byte record (`KDBusLimits.recordSize`).
    public static let ringEntrySize = 32
    /// Where the ring starts in the pool or arena: after the page of control words.
    public static let ringOffset = 4096
    /// Bytes at the start of the receive pool that are control words and the RECV ring;
    /// slices are allocated after them (`KDBusLimits.poolControlSize`).
    public static let poolControlSize = ringOffset + ringEntries * ringEntrySize
    /// Bytes at the start of the send arena that are control words and the command ring;
    /// messages are written after them (`KDBusLimits.arenaControlSize`).
    public static let arenaControlSize = ringOffset + ringEntries * ringEntrySize
    /// Smallest pool or arena (64 KiB).
    public static let minimumSize = 64 * 1024
    /// Largest pool or arena (1 GiB): far above any negotiated size, it only keeps
    /// arithmetic on offsets comfortably inside Int.
    public static let maximumSize = 1 << 30
    /// Size classes of the slice allocator: one per power of two an Int can hold.
    static let sizeClasses = Int.bitWidth
}
