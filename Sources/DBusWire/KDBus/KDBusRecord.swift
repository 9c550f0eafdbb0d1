// KDBus Record: the fixed-size command records the socket carries once a client is upgraded.

/// One 32-byte command record (docs/kdbus-transport.md §5), little-endian. SEND, FREE, RECV
/// and BROADCASTS_LOST are entries of the shared-memory rings; the announcements and FDS
/// travel on the socket, FDS carrying the descriptors that later ring entries claim.
public enum KDBusRecord: Sendable, Hashable {
    case send(Send)
    case free(Free)
    case receive(Receive)
    case broadcastsLost(BroadcastsLost)
    /// The receive pool's size; its memfd is this record's one descriptor.
    case poolAnnouncement(size: UInt64)
    /// The send arena's size; its memfd is this record's one descriptor.
    case arenaAnnouncement(size: UInt64)
    /// `count` descriptors (1...`KDBusLimits.maxDescriptorsPerRecord`) in this record's
    /// `SCM_RIGHTS`, for ring entries published after it to claim, oldest first.
    case descriptors(count: UInt32)

    /// A message the client marshalled into its send arena.
    public struct Send: Sendable, Hashable {
        /// Where the message starts in the arena (8-aligned, past the control page).
        public var arenaOffset: UInt64
        /// The message's length in the arena, memfd parts excluded.
        public var length: UInt64
        /// kdbus priority: lower runs first; 0 is normal.
        public var priority: Int32
        /// Descriptors the message carries (its UNIX_FDS), sent first in `SCM_RIGHTS`.
        public var fdCount: UInt16
        /// Sealed memfds holding body parts, sent after the message's descriptors.
        public var memfdCount: UInt16

        public init(arenaOffset: UInt64, length: UInt64, priority: Int32 = 0, fdCount: UInt16 = 0, memfdCount: UInt16 = 0) {
            self.arenaOffset = arenaOffset
            self.length = length
            self.priority = priority
            self.fdCount = fdCount
            self.memfdCount = memfdCount
        }
    }

    /// Up to three pool slices the client is done with; more go in more records of one write.
    /// Held inline (no array), so decoding a FREE on the broker's message path allocates nothing.
    public struct Free: Sendable, Hashable {
        // Invariant: 1 <= count <= KDBusLimits.freeOffsetsPerRecord; unused slots are 0.
        private var slots: (UInt64, UInt64, UInt64)
        /// How many offsets the record carries.
        public let count: Int

        /// Fails (nil) unless 1...`KDBusLimits.freeOffsetsPerRecord` offsets are given.
        public init?(offsets: [UInt64]) {
            guard (1...KDBusLimits.freeOffsetsPerRecord).contains(offsets.count) else { return nil }
            let padded = offsets + [0, 0]
            slots = (padded[0], padded[1], padded[2])
            count = offsets.count
        }

        /// Up to three offsets without an array: `second` and `third` when present. For
        /// a client freeing slices on every message, which should not allocate to do so.
        public init(_ first: UInt64, _ second: UInt64? = nil, _ third: UInt64? = nil) {
            let count = second == nil ? 1 : (third == nil ? 2 : 3)
            self.init(count: count, slots: (first, second ?? 0, second == nil ? 0 : third ?? 0))
        }

        init(count: Int, slots: (UInt64, UInt64, UInt64)) {
            self.count = count
            self.slots = slots
        }

        /// The offset in slot `index` (0..<count).
        public subscript(index: Int) -> UInt64 {
            precondition(index >= 0 && index < count, "KDBusRecord.Free: slot \(index) of \(count)")
            switch index {
            case 0: return slots.0
            case 1: return slots.1
            default: return slots.2
            }
        }

        /// The slices' pool offsets, as RECV gave them.
        public var offsets: [UInt64] { (0..<count).map { self[$0] } }

        public static func == (lhs: Free, rhs: Free) -> Bool { lhs.offsets == rhs.offsets }
        public func hash(into hasher: inout Hasher) { hasher.combine(offsets) }

        /// The FREE records for any number of offsets, in order.
        public static func batch(_ offsets: [UInt64]) -> [Free] {
            stride(from: 0, to: offsets.count, by: KDBusLimits.freeOffsetsPerRecord).compactMap { start in
                Free(offsets: Array(offsets[start..<min(start + KDBusLimits.freeOffsetsPerRecord, offsets.count)]))
            }
        }
    }

    /// A message the broker placed in the client's receive pool.
    public struct Receive: Sendable, Hashable {
        /// Where the slice starts in the pool (8-aligned).
        public var poolOffset: UInt64
        /// The slice's length: its header, items and inline message bytes.
        public var length: UInt64
        /// The priority the sender gave.
        public var priority: Int32
        /// Descriptors of the message, first in this record's `SCM_RIGHTS`.
        public var fdCount: UInt16
        /// Memfds holding body parts, after the message's descriptors.
        public var memfdCount: UInt16

        public init(poolOffset: UInt64, length: UInt64, priority: Int32 = 0, fdCount: UInt16 = 0, memfdCount: UInt16 = 0) {
            self.poolOffset = poolOffset
            self.length = length
            self.priority = priority
            self.fdCount = fdCount
            self.memfdCount = memfdCount
        }
    }

    /// Broadcasts dropped for this client since the last such record, because its pool was full.
    public struct BroadcastsLost: Sendable, Hashable {
        /// Dropped since the previous BROADCASTS_LOST (at least 1).
        public var count: UInt64
        /// Dropped over the connection's life (at least `count`).
        public var total: UInt64

        public init(count: UInt64, total: UInt64) {
            self.count = count
            self.total = total
        }
    }

    public var kind: KDBusRecordKind {
        switch self {
        case .send: .send
        case .free: .free
        case .receive: .receive
        case .broadcastsLost: .broadcastsLost
        case .poolAnnouncement: .poolAnnouncement
        case .arenaAnnouncement: .arenaAnnouncement
        case .descriptors: .descriptors
        }
    }
}

// Field offsets inside a record; the document's table in §5 is the source.
enum KDBusRecordLayout {
    static let kind = 0
    static let flags = 4
    static let offset = 8
    static let length = 16
    static let priority = 24
    static let fdCount = 28
    static let memfdCount = 30
    static let freeCount = 4
    static let freeSlots = 8
    static let lostCount = 8
    static let lostTotal = 16
    static let lostReserved = 24
    static let descriptorCount = 4
}
