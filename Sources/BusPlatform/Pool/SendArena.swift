// Send Arena: the client's outgoing message memory, reused without a round trip.
import Synchronization

extension FileSeals {
    /// The seals of a send arena: fixed size (the broker reading it never faults), and
    /// nothing can change that. Not `.futureWrite`, which would add nothing: the client
    /// writes the arena anyway (its messages, its ring and indices), and the broker maps it
    /// read-only and copies a message out before validating it, so a client scribbling on
    /// its own arena only hurts itself.
    public static let arena: FileSeals = [.shrink, .grow, .seal]
}

/// The client's send arena (docs/kdbus-transport.md §4): a memfd the client creates, maps,
/// seals with `FileSeals.arena` and passes to the broker after BEGIN. Its first
/// `PoolLimits.arenaControlSize` bytes are the client's control words and the command ring;
/// messages are written one after another, as a ring, into the bytes past them; a SEND
/// entry names each. The broker counts SENDs it has finished with in its pool
/// (`PoolView.loadSendsConsumed`), so the client learns which space it may reuse by reading
/// memory, not by a reply.
public struct SendArena: ~Copyable {
    // Invariants: `produced` counts data-area bytes handed out (wasted ring tails
    // included); `inFlight[inFlightHead...]` holds, per SEND not yet consumed, the value of
    // `produced` after it; produced - (end of the last consumed SEND) <= dataSize.
    private let file: FileDescriptor
    private let mapping: MappedRegion
    public let size: Int
    private var produced = 0
    private var reclaimed = 0
    private var sent: UInt64 = 0
    private var acknowledged: UInt64 = 0
    private var inFlight: [Int] = []
    private var inFlightHead = 0

    private var dataSize: Int { size - PoolLimits.arenaControlSize }

    /// Creates, maps and seals an arena of `size` bytes (a multiple of 4096 within
    /// `PoolLimits.minimumSize...maximumSize`).
    public static func create(size: Int, name: String = "swiftbus-arena") throws(PoolError) -> SendArena {
        guard (PoolLimits.minimumSize...PoolLimits.maximumSize).contains(size), size % 4096 == 0 else { throw .invalidSize(size) }
        do {
            let file = try MemoryFile.create(name: name, size: size)
            let mapping = try MappedRegion.map(file, length: size, protection: [.read, .write])
            try file.addSeals(.arena)
            return SendArena(file: file, mapping: mapping, size: size)
        } catch { throw .system(error) }
    }

    private init(file: consuming FileDescriptor, mapping: consuming MappedRegion, size: Int) {
        self.file = file
        self.mapping = mapping
        self.size = size
    }

    /// A new descriptor for the arena, to pass to the broker with SCM_RIGHTS.
    public func descriptorForBroker() throws(PoolError) -> FileDescriptor {
        do { return try file.duplicate() } catch { throw .system(error) }
    }

    /// Messages written and not yet consumed by the broker, as of the last `reclaim`.
    public var messagesInFlight: Int { inFlight.count - inFlightHead }

    /// Reserves `length` bytes (rounded up to 8), lets `fill` marshal the message into
    /// them, and returns the range to name in a SEND. `.full` when the broker has not yet
    /// consumed enough: `reclaim` with a newer `sendsConsumed`, or wait for the broker.
    public mutating func write(length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(PoolError) -> PoolSlice {
        guard length > 0 else { throw .invalidSize(length) }
        let rounded = (length + PoolLimits.sliceAlignment - 1) & ~(PoolLimits.sliceAlignment - 1)
        guard rounded <= dataSize else { throw .full(requested: rounded, freeBytes: dataSize, largestFree: dataSize) }
        // Nothing in flight: start again at the beginning. Otherwise a message longer than
        // both the bytes after the current position and those before it would never fit,
        // not even in an empty arena (the skipped tail counts as used until consumed).
        if acknowledged == sent {
            produced = 0
            reclaimed = 0
        }
        let position = produced % dataSize
        let skip = position + rounded > dataSize ? dataSize - position : 0
        let needed = skip + rounded
        guard produced + needed - reclaimed <= dataSize else {
            throw .full(requested: rounded, freeBytes: dataSize - (produced - reclaimed), largestFree: 0)
        }
        let offset = PoolLimits.arenaControlSize + (produced + skip) % dataSize
        produced += needed
        inFlight.append(produced)
        sent += 1
        mapping.withUnsafeMutableBytes { arena in fill(UnsafeMutableRawBufferPointer(rebasing: arena[offset..<offset + length])) }
        return PoolSlice(offset: offset, length: length)
    }

    /// Releases the space of every message the broker's `sendsConsumed` count covers (read
    /// from the pool with `PoolView.loadSendsConsumed`, which orders it).
    public mutating func reclaim(sendsConsumed consumed: UInt64) {
        // The count is the broker's word; a value above what was sent would be a broker bug,
        // and believing it would let us overwrite messages it has not read.
        let target = min(consumed, sent)
        while acknowledged < target {
            reclaimed = inFlight[inFlightHead]
            inFlightHead += 1
            acknowledged += 1
        }
        if inFlightHead > 64, inFlightHead * 2 > inFlight.count {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
    }
}

extension SendArena {
    // MARK: Ring control (client side; docs/kdbus-transport.md §4)

    /// Writes command-ring entry `index` (one 32-byte SEND or FREE record); invisible to the
    /// broker until `publishCommands` moves the tail past it.
    public func writeCommandEntry(_ index: UInt64, from record: UnsafeRawBufferPointer) {
        mapping.writeEntry(index, from: record)
    }

    /// Publishes command entries `oldTail..<newTail`; true when the broker must be rung.
    /// `brokerHead` loads the broker's `commandHead` from the pool, once.
    public func publishCommands(oldTail: UInt64, newTail: UInt64, brokerHead: () -> UInt64) -> Bool {
        RecordRing.publish(oldTail: oldTail, newTail: newTail,
                           storeTail: { mapping.storeWord($0, at: RingControl.commandTail) }, loadConsumerHead: brokerHead)
    }

    /// Ends a pass over the RECV ring: stores `recvHead` = `head`, then re-loads the
    /// broker's tail through `brokerTail` (see `RecordRing.finishPass`).
    public func finishReceivePass(head: UInt64, brokerTail: () -> UInt64) -> UInt64 {
        RecordRing.finishPass(head: head, storeHead: { mapping.storeWord($0, at: RingControl.recvHead) }, loadTail: brokerTail)
    }

    /// Sets or clears `clientWaitsForCommandSpace` (fenced: re-load `commandHead` after setting it).
    public func storeClientWaitsForCommandSpace(_ waiting: Bool) {
        mapping.storeFlag(waiting, at: RingControl.clientWaitsForCommandSpace)
    }

    /// Sets or clears `clientSleepsOnFutex` (fenced: look at the rings again after either).
    public func storeClientSleepsOnFutex(_ sleeps: Bool) {
        mapping.storeFlag(sleeps, at: RingControl.clientSleepsOnFutex)
    }
}

/// The broker's side of a client's send arena: it checks the memfd it was given (fixed
/// size, sealed, the negotiated length), maps it READ-ONLY (the broker writes nothing
/// there; its counts live in the pool), reads the client's control words and command ring,
/// and reads messages only inside the data area.
public struct SendArenaReader: ~Copyable {
    // Invariant: `mapping` is a read-only mapping of exactly `size` bytes of a memfd that
    // cannot shrink.
    private let mapping: MappedRegion
    public let size: Int

    /// Maps the client's arena after checking it carries `FileSeals.arena` and is
    /// `expectedSize` bytes; without the shrink seal a client could truncate it and make
    /// the broker fault.
    public static func map(_ file: consuming FileDescriptor, expectedSize: Int) throws(PoolError) -> SendArenaReader {
        let seals: FileSeals
        let found: Int
        do {
            seals = try file.seals()
            found = try file.size()
        } catch { throw .system(error) }
        guard seals.isSuperset(of: .arena) else { throw .missingSeals(required: .arena, found: seals) }
        guard found == expectedSize, found > PoolLimits.arenaControlSize else { throw .wrongSize(expected: expectedSize, found: found) }
        do {
            return SendArenaReader(mapping: try MappedRegion.map(file, length: found, protection: .read), size: found)
        } catch { throw .system(error) }
    }

    private init(mapping: consuming MappedRegion, size: Int) {
        self.mapping = mapping
        self.size = size
    }

    /// Reads the message a SEND named, after checking it lies in the data area. The bytes
    /// can change under the reader (the client may write them): copy, then validate the copy.
    public func withMessage<R>(offset: UInt64, length: UInt64, _ body: (UnsafeRawBufferPointer) -> R) throws(PoolError) -> R {
        let control = UInt64(PoolLimits.arenaControlSize)
        guard offset >= control, offset <= UInt64(size), length > 0, length <= UInt64(size) - offset else {
            throw .outOfBounds(offset: Int(clamping: offset), length: Int(clamping: length), size: size)
        }
        return mapping.withUnsafeBytes { arena in body(UnsafeRawBufferPointer(rebasing: arena[Int(offset)..<Int(offset + length)])) }
    }

    // MARK: Ring control (broker side). Every value here was written by the client: read
    // once, check before use (`RecordRing.pending`).

    /// The client's `commandTail`: command entries published.
    public func loadCommandTail() -> UInt64 { mapping.loadWord(at: RingControl.commandTail) }
    /// The client's `recvHead`: RECV entries consumed.
    public func loadReceiveHead() -> UInt64 { mapping.loadWord(at: RingControl.recvHead) }
    /// Whether the client waits for command-ring space (ring it after storing `commandHead`).
    public func loadClientWaitsForCommandSpace() -> Bool { mapping.loadFlag(at: RingControl.clientWaitsForCommandSpace) }
    /// Whether the client sleeps on the futex rather than the doorbell (`ReceivePool.wakeClient`).
    public func loadClientSleepsOnFutex() -> Bool { mapping.loadFlag(at: RingControl.clientSleepsOnFutex) }

    /// Copies command-ring entry `index` into `entry` (at least 32 bytes) for decoding.
    public func copyCommandEntry(_ index: UInt64, into entry: UnsafeMutableRawBufferPointer) {
        atomicMemoryFence(ordering: .acquiring)
        mapping.copyEntry(index, into: entry)
    }
}
