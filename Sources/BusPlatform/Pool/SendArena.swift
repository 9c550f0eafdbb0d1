// Send Arena: the client's outgoing message memory, reused without a round trip.
import Synchronization

extension FileSeals {
    /// The seals of a send arena: fixed size (the broker reading it never faults), and
    /// nothing can change that. Not `.futureWrite`: both sides need writable mappings (the
    /// client its messages, the broker its consumed count), and a mapping made after
    /// `.futureWrite` cannot be writable. Nothing is lost: the broker copies a message out
    /// before validating it, so a client scribbling on its own arena only hurts itself.
    public static let arena: FileSeals = [.shrink, .grow, .seal]
}

/// The client's send arena (docs/kdbus-transport.md §4): a memfd the client creates, maps,
/// seals with `FileSeals.arena` and passes to the broker after BEGIN. Messages are written
/// one after another, as a ring, into the bytes past the first page; SEND names each. The
/// broker counts SENDs it has finished with in a u64 at the start of the first page, so the
/// client learns which space it may reuse by reading memory, not by a reply.
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
    /// consumed enough: wait for its progress (or send the message some other way).
    public mutating func write(length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(PoolError) -> PoolSlice {
        guard length > 0 else { throw .invalidSize(length) }
        let rounded = (length + PoolLimits.sliceAlignment - 1) & ~(PoolLimits.sliceAlignment - 1)
        guard rounded <= dataSize else { throw .full(requested: rounded, freeBytes: dataSize, largestFree: dataSize) }
        reclaim()
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

    /// Reads the broker's consumed count and releases the space of every message it covers.
    public mutating func reclaim() {
        let consumed = mapping.withUnsafeBytes { $0.load(fromByteOffset: 0, as: UInt64.self) }
        // Acquire: the broker finished reading those messages before it stored the count.
        atomicMemoryFence(ordering: .acquiring)
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

/// The broker's side of a client's send arena: it checks the memfd it was given (fixed
/// size, sealed, the negotiated length), maps it, reads messages only inside the data area,
/// and publishes how many SENDs it has finished with.
public struct SendArenaReader: ~Copyable {
    // Invariant: `mapping` covers exactly `size` bytes of a memfd that cannot shrink.
    private let mapping: MappedRegion
    public let size: Int
    private var consumed: UInt64 = 0

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
            return SendArenaReader(mapping: try MappedRegion.map(file, length: found, protection: [.read, .write]), size: found)
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

    /// Marks one more SEND finished; call after its bytes have been copied out.
    public mutating func markConsumed() {
        consumed += 1
        // Release: the copies out of the arena happen before the client can see the count.
        atomicMemoryFence(ordering: .releasing)
        // An aligned 8-byte store is single-copy atomic on every 64-bit target we build for
        // (x86-64, aarch64): the client never sees half a count.
        mapping.withUnsafeMutableBytes { $0.storeBytes(of: consumed, toByteOffset: 0, as: UInt64.self) }
    }
}
