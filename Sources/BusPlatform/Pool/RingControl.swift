// Ring Control: where the control words of the pool and the arena live.
import Synchronization

/// Byte offsets of the control words in the first page of the receive pool (written by
/// the broker) and of the send arena (written by the client); the tables of
/// docs/kdbus-transport.md §4. Every word is naturally aligned, so a load or store of it
/// is single-copy atomic on every 64-bit target we build for (x86-64, aarch64).
public enum RingControl {
    /// Pool: RECV-ring entries the broker has published.
    public static let recvTail = 0
    /// Pool: command-ring entries the broker has consumed.
    public static let commandHead = 8
    /// Pool: SENDs whose message the broker has finished reading from the arena.
    public static let sendsConsumed = 16
    /// Pool: u32, 1 while the broker holds RECVs because the RECV ring is full.
    public static let brokerWaitsForRecvSpace = 24
    /// Arena: command-ring entries the client has published.
    public static let commandTail = 0
    /// Arena: RECV-ring entries the client has consumed.
    public static let recvHead = 8
    /// Arena: u32, 1 while the client waits because the command ring is full.
    public static let clientWaitsForCommandSpace = 16
}

extension MappedRegion {
    /// The u64 control word at `offset`, read once. Callers order it with `RecordRing`'s
    /// fences; the value came from the other process and is checked before use.
    func loadWord(at offset: Int) -> UInt64 {
        withUnsafeBytes { $0.load(fromByteOffset: offset, as: UInt64.self) }
    }

    /// Stores the u64 control word at `offset` (the mapping must be writable).
    func storeWord(_ value: UInt64, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: UInt64.self) }
    }

    /// The u32 flag at `offset`: any non-zero value counts as set.
    func loadFlag(at offset: Int) -> Bool {
        withUnsafeBytes { $0.load(fromByteOffset: offset, as: UInt32.self) } != 0
    }

    /// Stores the u32 flag at `offset`, then fences so the flag is visible before the
    /// caller re-loads the other side's index (the full-ring handshake).
    func storeFlag(_ set: Bool, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: set ? UInt32(1) : 0, toByteOffset: offset, as: UInt32.self) }
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// Copies ring entry `index` into private memory (`entry` holds at least one record):
    /// the other side may rewrite the slot, so it is read once and decoded from the copy.
    func copyEntry(_ index: UInt64, into entry: UnsafeMutableRawBufferPointer) {
        precondition(entry.count >= RecordRing.entrySize, "ring entry copy needs \(RecordRing.entrySize) bytes")
        let offset = RecordRing.entryOffset(index)
        withUnsafeBytes { region in
            entry.copyMemory(from: UnsafeRawBufferPointer(rebasing: region[offset..<offset + RecordRing.entrySize]))
        }
    }

    /// Writes ring entry `index` (the mapping must be writable; `record` is one record).
    func writeEntry(_ index: UInt64, from record: UnsafeRawBufferPointer) {
        precondition(record.count == RecordRing.entrySize, "a ring entry is \(RecordRing.entrySize) bytes, not \(record.count)")
        let offset = RecordRing.entryOffset(index)
        withUnsafeMutableBytes { region in
            UnsafeMutableRawBufferPointer(rebasing: region[offset..<offset + RecordRing.entrySize]).copyMemory(from: record)
        }
    }
}
