// Ring Control: where the control words of the pool and the arena live.
import CSwiftBusShims
import Glibc
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
    /// Pool: u32 the client sleeps on with a futex; the broker increments it before each
    /// futex wake-up (§4.3).
    public static let clientWakeSequence = 28
    /// Arena: command-ring entries the client has published.
    public static let commandTail = 0
    /// Arena: RECV-ring entries the client has consumed.
    public static let recvHead = 8
    /// Arena: u32, 1 while the client waits because the command ring is full.
    public static let clientWaitsForCommandSpace = 16
    /// Arena: u32, 1 while the client sleeps on `clientWakeSequence` rather than on the
    /// to-client doorbell: the broker wakes it by futex instead of a ring.
    public static let clientSleepsOnFutex = 20
}

/// How a futex sleep on a control word ended. Either way the sleeper re-checks its rings:
/// the word is only a wake-up, never the news itself.
public enum FutexSleep: Sendable, Equatable {
    /// Woken, or the word had already changed when the sleep began.
    case woken
    /// The timeout passed with no wake-up.
    case timedOut
    /// A signal came (EINTR).
    case interrupted
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

    /// The u32 word at `offset`, read once.
    func loadWord32(at offset: Int) -> UInt32 {
        withUnsafeBytes { $0.load(fromByteOffset: offset, as: UInt32.self) }
    }

    /// Increments the u32 word at `offset` (the mapping must be writable and this process
    /// its only writer), then wakes every futex sleeper on it. The store comes before the
    /// wake, so a sleeper that loaded the old value either sees the new one in `FUTEX_WAIT`'s
    /// check or is asleep when the wake comes.
    func incrementAndWake(at offset: Int) {
        withUnsafeMutableBytes { region in
            let word = region.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt32.self)
            word.pointee &+= 1
            _ = csb_futex_wake_shared(word, CInt.max)
        }
    }

    /// Sleeps while the u32 word at `offset` still holds `expected`, up to
    /// `timeoutMilliseconds` (-1: no bound). The word's page is shared (a memfd mapping),
    /// so the futex is keyed by the file and the other process's wake reaches it.
    func sleep(at offset: Int, whileEqualTo expected: UInt32, timeoutMilliseconds: Int32) -> FutexSleep {
        withUnsafeBytes { region in
            let word = region.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt32.self)
            if csb_futex_wait_shared(word, expected, timeoutMilliseconds) == 0 { return .woken }
            return errno == ETIMEDOUT ? .timedOut : .interrupted
        }
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
