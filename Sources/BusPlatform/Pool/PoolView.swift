// Pool View: the client's read-only view of its receive pool.
import Synchronization

/// The client's mapping of the pool the broker sent it. It checks the memfd before mapping
/// (the seals that make the broker the only writer, and the negotiated size, so a read can
/// never fault past the end), maps it read-only, and reads slices only after checking the
/// offset and length a RECV named: a client never trusts an offset blindly.
public struct PoolView: ~Copyable {
    // Invariant: `mapping` is a read-only mapping of exactly `size` bytes of a memfd that
    // carried `FileSeals.pool`, so it can neither shrink under us nor be written by anyone
    // but the broker.
    private let mapping: MappedRegion
    public let size: Int

    /// Maps `file` (received after BEGIN) read-only, once it proves to be a sealed pool of
    /// `expectedSize` bytes. The descriptor is closed; the mapping keeps the memory.
    public static func map(_ file: consuming FileDescriptor, expectedSize: Int) throws(PoolError) -> PoolView {
        let seals: FileSeals
        let found: Int
        do {
            seals = try file.seals()
            found = try file.size()
        } catch { throw .system(error) }
        guard seals.isSuperset(of: .pool) else { throw .missingSeals(required: .pool, found: seals) }
        guard found == expectedSize else { throw .wrongSize(expected: expectedSize, found: found) }
        do {
            return PoolView(mapping: try MappedRegion.map(file, length: found, protection: .read), size: found)
        } catch { throw .system(error) }
    }

    private init(mapping: consuming MappedRegion, size: Int) {
        self.mapping = mapping
        self.size = size
    }

    /// Reads the slice a RECV named, after checking it lies in the pool and is 8-aligned.
    public func withSlice<R>(offset: UInt64, length: UInt64, _ body: (UnsafeRawBufferPointer) -> R) throws(PoolError) -> R {
        let range = try checkedRange(offset: offset, length: length)
        return mapping.withUnsafeBytes { pool in body(UnsafeRawBufferPointer(rebasing: pool[range])) }
    }

    /// The slice's bytes, copied out (for tests and for keeping a message past its FREE).
    public func copySlice(offset: UInt64, length: UInt64) throws(PoolError) -> [UInt8] {
        try withSlice(offset: offset, length: length) { Array($0) }
    }

    private func checkedRange(offset: UInt64, length: UInt64) throws(PoolError) -> Range<Int> {
        let outOfBounds = PoolError.outOfBounds(offset: Int(clamping: offset), length: Int(clamping: length), size: size)
        guard offset >= UInt64(PoolLimits.poolControlSize), offset <= UInt64(size), length <= UInt64(size) - offset, length > 0,
              offset % UInt64(PoolLimits.sliceAlignment) == 0 else { throw outOfBounds }
        return Int(offset)..<Int(offset + length)
    }

    // MARK: Ring control (client side; docs/kdbus-transport.md §4). Every value here was
    // written by the broker: read once, check before use.

    /// The broker's `recvTail`: RECV entries published.
    public func loadReceiveTail() -> UInt64 { mapping.loadWord(at: RingControl.recvTail) }
    /// The broker's `commandHead`: command entries it has consumed.
    public func loadCommandHead() -> UInt64 { mapping.loadWord(at: RingControl.commandHead) }
    /// The broker's `sendsConsumed`, acquire ordered: pass it to `SendArena.reclaim`.
    public func loadSendsConsumed() -> UInt64 {
        let value = mapping.loadWord(at: RingControl.sendsConsumed)
        atomicMemoryFence(ordering: .acquiring)
        return value
    }
    /// Whether the broker holds RECVs because the RECV ring is full (ring it after consuming).
    public func loadBrokerWaitsForRecvSpace() -> Bool { mapping.loadFlag(at: RingControl.brokerWaitsForRecvSpace) }

    /// The broker's `clientWakeSequence`: load it before the last look at the rings, then
    /// sleep from it (`sleepUntilWoken`), so a wake-up after the look is never missed.
    public func loadClientWakeSequence() -> UInt32 {
        let value = mapping.loadWord32(at: RingControl.clientWakeSequence)
        atomicMemoryFence(ordering: .acquiring)
        return value
    }

    /// Sleeps until the broker moves `clientWakeSequence` past `sequence` (at once if it has
    /// already), up to `timeoutMilliseconds` (-1: no bound). Only while the arena's
    /// `clientSleepsOnFutex` is set does the broker wake this way (§4.3).
    public func sleepUntilWoken(from sequence: UInt32, timeoutMilliseconds: Int32) -> FutexSleep {
        mapping.sleep(at: RingControl.clientWakeSequence, whileEqualTo: sequence, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Copies RECV-ring entry `index` into `entry` (at least 32 bytes) for decoding.
    public func copyReceiveEntry(_ index: UInt64, into entry: UnsafeMutableRawBufferPointer) {
        atomicMemoryFence(ordering: .acquiring)
        mapping.copyEntry(index, into: entry)
    }
}
