// Record Ring: the index rules both ends of both rings share (docs/kdbus-transport.md §4).
import Synchronization

/// The logic of one single-producer single-consumer ring of 32-byte records in shared
/// memory: the RECV ring (broker produces into the pool, client consumes) and the command
/// ring (client produces into the arena, broker consumes). Indices are free-running u64
/// counts; entry `i` lives at slot `i & (entries - 1)`. The producer's tail and the
/// entries live in the producer's mapping, the consumer's head in the other one, so this
/// type holds no memory: the mapping owners (`ReceivePool`, `SendArenaReader`, `PoolView`,
/// `SendArena`) load and store the words, and these rules order them.
///
/// Why no wake-up is lost (Dekker): the producer stores its tail, fences, then loads the
/// head; the consumer stores its head, fences, then loads the tail. At least one of them
/// sees the other's store: either the producer sees the consumer caught up (and rings), or
/// the consumer sees the new tail (and carries on without sleeping).
public enum RecordRing {
    /// Entries per ring (a power of two).
    public static let entries = PoolLimits.ringEntries
    /// Bytes per entry: one record.
    public static let entrySize = PoolLimits.ringEntrySize

    /// Byte offset of entry `index` in its mapping.
    @inlinable
    public static func entryOffset(_ index: UInt64) -> Int {
        PoolLimits.ringOffset + Int(truncatingIfNeeded: index & UInt64(entries - 1)) * entrySize
    }

    /// Entries published and not yet consumed, or nil when the indices are impossible
    /// (tail behind head, or more than a ring ahead): the other side lied or is broken.
    @inlinable
    public static func pending(head: UInt64, tail: UInt64) -> Int? {
        guard tail >= head, tail - head <= UInt64(entries) else { return nil }
        return Int(tail - head)
    }

    /// Entries a producer at `tail` may still write before the consumer at `head` frees
    /// some, or nil when the indices are impossible.
    @inlinable
    public static func space(tail: UInt64, consumerHead head: UInt64) -> Int? {
        pending(head: head, tail: tail).map { entries - $0 }
    }

    /// Publishes entries `oldTail..<newTail`, already written: fence (entries before
    /// tail), `storeTail(newTail)`, fence (tail before the head load), then loads the
    /// consumer's head once. True when the producer must ring the consumer's doorbell:
    /// the consumer had consumed everything before these entries, so it may be asleep.
    /// A consumer behind `oldTail` has not finished its pass and re-loads the tail after
    /// storing its head.
    @inlinable
    public static func publish(
        oldTail: UInt64, newTail: UInt64, storeTail: (UInt64) -> Void, loadConsumerHead: () -> UInt64
    ) -> Bool {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        storeTail(newTail)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return loadConsumerHead() == oldTail
    }

    /// Ends a consumer's pass: stores `head`, fences, and loads the tail once more.
    /// Returns the tail seen; when it differs from `head` there is more to consume now
    /// (and no doorbell will come for it).
    @inlinable
    public static func finishPass(head: UInt64, storeHead: (UInt64) -> Void, loadTail: () -> UInt64) -> UInt64 {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        storeHead(head)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return loadTail()
    }
}
