// KDBus Limits: every bound of the kdbus transport, named once.

/// The sizes and counts the kdbus transport negotiates, records and checks. Each check in
/// the transport cites one of these, so a second implementation can read the numbers here
/// (and in docs/kdbus-transport.md, which repeats them).
public enum KDBusLimits {
    /// The transport version this code speaks: 3, records in shared-memory rings; the broker
    /// is woken by an eventfd, the client by futex or pipe (docs/kdbus-transport.md §4).
    /// Version 2 (a pipe each way) and version 1 (records on the socket) are no longer spoken.
    @inlinable public static var protocolVersion: Int { 3 }
    /// Pools and arenas are whole 4 KiB pages: they are mapped whole.
    @inlinable public static var pageSize: Int { 4096 }
    /// Size of every command record (ring entry or FDS record on the socket), in bytes.
    @inlinable public static var recordSize: Int { 32 }
    /// Alignment of pool slices, arena messages and metadata items: 8, as in kdbus (`KDBUS_ALIGN8`).
    @inlinable public static var alignment: Int { 8 }
    /// Smallest pool or arena: 64 KiB, so that one maximal header plus items always fits.
    @inlinable public static var minRegionSize: Int { 64 * 1024 }
    /// Default receive pool: 8 MiB (kdbus's own tests used 16 MiB; sd-bus asked for 16 MiB).
    @inlinable public static var defaultPoolSize: Int { 8 * 1024 * 1024 }
    /// Largest receive pool the broker grants: 256 MiB, so a client cannot pin more of the
    /// broker's memory than that per connection.
    @inlinable public static var maxPoolSize: Int { 256 * 1024 * 1024 }
    /// Default send arena: 4 MiB, twice the default memfd threshold, so two messages just
    /// under it can be in flight.
    @inlinable public static var defaultArenaSize: Int { 4 * 1024 * 1024 }
    /// Largest send arena: a whole maximal message (128 MiB) plus the control area, rounded up.
    @inlinable public static var maxArenaSize: Int { 128 * 1024 * 1024 + 64 * 1024 }
    /// Entries in each record ring (the RECV ring in the pool, the command ring in the
    /// arena): a power of two, so entry `i` lives at slot `i & (ringEntries - 1)`. 1024
    /// records are far more than one wake-up's work and cost 32 KiB per ring.
    @inlinable public static var ringEntries: Int { 1024 }
    /// Where the ring's entries start in the pool or arena: after one page of control words.
    @inlinable public static var ringOffset: Int { 4096 }
    /// Bytes at the start of the receive pool that are not slices: the control page (the
    /// broker's indices and flag) and the RECV ring. 4096 + 1024 · 32 = 36 864.
    @inlinable public static var poolControlSize: Int { ringOffset + ringEntries * recordSize }
    /// Bytes at the start of the send arena that are not messages: the control page (the
    /// client's indices and flag) and the command ring. Same size as the pool's.
    @inlinable public static var arenaControlSize: Int { ringOffset + ringEntries * recordSize }
    /// Most descriptors one FDS record carries: the kernel's `SCM_MAX_FD` (253).
    @inlinable public static var maxDescriptorsPerRecord: Int { 253 }
    /// Offsets one FREE record carries.
    @inlinable public static var freeOffsetsPerRecord: Int { 3 }
    /// Memfd body parts one message may reference.
    @inlinable public static var maxMemfdParts: Int { 16 }
    /// Default size from which a body part travels as a sealed memfd: 2 MiB, a quarter of the
    /// default pool so four large messages can queue. Measured here (docs/kdbus-transport.md
    /// §10), speed alone never favours a fresh memfd up to 64 MiB, and a reused one only from
    /// 16–32 MiB; the memfd path is for capacity (payloads larger than a pool), not speed.
    @inlinable public static var defaultMemfdThreshold: Int { 2 * 1024 * 1024 }
    /// Longest message the kdbus transport carries when its large byte arrays travel as
    /// memfds, and longest such `ay` (2 GiB; `MessageSizeLimits.memfdCarried`). D-Bus caps a
    /// message at 128 MiB because every hop copies it; a memfd is copied by nobody, so the
    /// cap is what the 32-bit lengths of the wire format hold with room to spare. The bytes
    /// the broker does copy (the inline parts) stay within `max_message_size`.
    @inlinable public static var maxMemfdCarriedMessageLength: Int { 1 << 31 }
    /// Smallest memfd threshold a peer may ask for: below a page, mapping costs more than copying.
    @inlinable public static var minMemfdThreshold: Int { 4096 }
    /// Largest size a negotiation line may name (1 TiB): any more is a typo or an attack,
    /// and it keeps page rounding far from overflow.
    @inlinable public static var maxOfferedSize: Int { 1 << 40 }
    /// Longest negotiation line parameter value, in bytes.
    @inlinable public static var maxParameterLength: Int { 512 }
    /// Parameters one negotiation line may carry.
    @inlinable public static var maxParameters: Int { 16 }
    /// Largest metadata item, header included: 64 KiB (cmdline and cgroup are cut to fit).
    @inlinable public static var maxItemSize: Int { 64 * 1024 }
}
