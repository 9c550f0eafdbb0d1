// Receive Pool: the broker's side of a client's receive pool.
import Synchronization

/// The memory a broker copies messages into for one client (docs/kdbus-transport.md §3–§4).
/// The broker creates a memfd, maps it read-write, then seals it with `FileSeals.pool`;
/// from then on its mapping is the only way to write the pool, and the descriptor it hands
/// the client (`descriptorForClient`) can only be mapped read-only. The first
/// `PoolLimits.poolControlSize` bytes are the broker's control words and the RECV ring;
/// slices are allocated after them for messages and freed when the client's FREE names them.
public struct ReceivePool: ~Copyable {
    // Invariant: `mapping` is the only writable mapping of `file`, created before sealing;
    // `allocator` covers exactly [poolControlSize, size).
    private let file: FileDescriptor
    private let mapping: MappedRegion
    private var allocator: SliceAllocator
    public let size: Int

    /// Creates, maps and seals a pool of `size` bytes (a multiple of 4096 within
    /// `PoolLimits.minimumSize...maximumSize`). `name` shows in /proc/PID/fd.
    public static func create(size: Int, name: String = "swiftbus-pool") throws(PoolError) -> ReceivePool {
        guard (PoolLimits.minimumSize...PoolLimits.maximumSize).contains(size), size % 4096 == 0 else { throw .invalidSize(size) }
        do {
            let file = try MemoryFile.create(name: name, size: size)
            let mapping = try MappedRegion.map(file, length: size, protection: [.read, .write])
            try file.addSeals(.pool)
            return ReceivePool(file: file, mapping: mapping, size: size)
        } catch { throw .system(error) }
    }

    private init(file: consuming FileDescriptor, mapping: consuming MappedRegion, size: Int) {
        self.file = file
        self.mapping = mapping
        self.size = size
        allocator = SliceAllocator(capacity: size - PoolLimits.poolControlSize, startingAt: PoolLimits.poolControlSize)
    }

    /// A new descriptor for the pool, to pass to the client with SCM_RIGHTS.
    public func descriptorForClient() throws(PoolError) -> FileDescriptor {
        do { return try file.duplicate() } catch { throw .system(error) }
    }

    /// Bytes not in any slice.
    public var freeBytes: Int { allocator.freeBytes }
    /// Slices allocated and not yet freed.
    public var sliceCount: Int { allocator.busyCount }
    /// The longest slice that could be allocated now.
    public var largestFree: Int { allocator.largestFree }

    /// A slice of at least `length` bytes, or `.full` when no free range is long enough:
    /// the broker then fails a unicast with LimitsExceeded or counts a lost broadcast.
    public mutating func allocate(_ length: Int) throws(PoolError) -> PoolSlice {
        try allocator.allocate(length)
    }

    /// Frees the slice at `offset`, as named by a FREE record (peer input: an offset that
    /// is not a slice in use is `.unknownSlice`).
    public mutating func free(offset: Int) throws(PoolError) {
        try allocator.free(offset: offset)
    }

    /// Copies `bytes` into `slice` at `offset` within it (a programming error when they do
    /// not fit: the broker sized the slice).
    public func write(_ bytes: UnsafeRawBufferPointer, into slice: PoolSlice, at offset: Int = 0) {
        precondition(offset >= 0 && bytes.count <= slice.length - offset, "ReceivePool.write: \(bytes.count) bytes at \(offset) overrun \(slice)")
        withSliceBytes(slice) { target in
            UnsafeMutableRawBufferPointer(rebasing: target[offset..<offset + bytes.count]).copyMemory(from: bytes)
        }
    }

    /// The slice's bytes, writable, for building it in place (header, items, message).
    public func withSliceBytes<R>(_ slice: PoolSlice, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        precondition(allocator.busyLength(at: slice.offset) == slice.length, "ReceivePool: \(slice) is not a slice in use")
        return mapping.withUnsafeMutableBytes { pool in body(UnsafeMutableRawBufferPointer(rebasing: pool[slice.offset..<slice.end])) }
    }

    // MARK: Ring control (broker side; docs/kdbus-transport.md §4)

    /// Writes RECV-ring entry `index` (one 32-byte RECV or BROADCASTS_LOST record); it is
    /// invisible to the client until `publishReceives` moves the tail past it.
    public func writeReceiveEntry(_ index: UInt64, from record: UnsafeRawBufferPointer) {
        mapping.writeEntry(index, from: record)
    }

    /// Publishes RECV entries `oldTail..<newTail`; true when the client must be rung.
    /// `clientHead` loads the client's `recvHead` from its arena, once.
    public func publishReceives(oldTail: UInt64, newTail: UInt64, clientHead: () -> UInt64) -> Bool {
        RecordRing.publish(oldTail: oldTail, newTail: newTail,
                           storeTail: { mapping.storeWord($0, at: RingControl.recvTail) }, loadConsumerHead: clientHead)
    }

    /// Wakes the client the way it sleeps (docs/kdbus-transport.md §4.3): a client that set
    /// `clientSleepsOnFutex` (`sleepsOnFutex`, loaded from its arena after the fence that
    /// follows the broker's index store) gets `clientWakeSequence` incremented and a futex
    /// wake-up; any other gets a ring on `doorbell`. Call it only after that fence.
    public func wakeClient(sleepsOnFutex: Bool, doorbell: borrowing DoorbellRinger) {
        if sleepsOnFutex {
            mapping.incrementAndWake(at: RingControl.clientWakeSequence)
        } else {
            doorbell.ring()
        }
    }

    /// Ends a pass over the command ring: stores `commandHead` = `head`, then re-loads the
    /// client's tail through `clientTail` (see `RecordRing.finishPass`).
    public func finishCommandPass(head: UInt64, clientTail: () -> UInt64) -> UInt64 {
        RecordRing.finishPass(head: head, storeHead: { mapping.storeWord($0, at: RingControl.commandHead) }, loadTail: clientTail)
    }

    /// Publishes how many SENDs the broker has finished reading from the arena; release
    /// ordered, so the copies out of the arena happen before the client reuses the space.
    public func storeSendsConsumed(_ count: UInt64) {
        atomicMemoryFence(ordering: .releasing)
        mapping.storeWord(count, at: RingControl.sendsConsumed)
    }

    /// Sets or clears `brokerWaitsForRecvSpace` (fenced: re-load `recvHead` after setting it).
    public func storeBrokerWaitsForRecvSpace(_ waiting: Bool) {
        mapping.storeFlag(waiting, at: RingControl.brokerWaitsForRecvSpace)
    }
}
