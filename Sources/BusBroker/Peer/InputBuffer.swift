// Input Buffer
//
// One peer's receive buffer: bytes are read into free space, messages are framed and
// validated in place, and a peer owns memory only while it holds part of a message.
import Glibc

/// The broker's one read buffer, shared by every peer: a peer with nothing buffered reads
/// into it, so an idle connection holds no input memory at all (1 000 idle connections with
/// a 16 KiB buffer each cost 4 KiB of touched memory apiece). Used only inside one peer's
/// read-and-process step on the loop's thread, never across it.
///
/// Invariants: `storage` is owned, `BrokerLimits.sharedReadCapacity` bytes, freed in deinit.
final class SharedReadBuffer {
    let storage: UnsafeMutableRawPointer
    let capacity: Int

    init(capacity: Int = BrokerLimits.sharedReadCapacity) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { storage.deallocate() }
}

/// A peer's incoming stream. Messages are never copied out: the broker validates and routes
/// them where they lie, then `consume`s them.
///
/// A peer with nothing buffered reads into the `SharedReadBuffer`; after processing,
/// `settle()` moves what is left (the start of a message) into the peer's own storage,
/// sized for that whole message, and later reads go there until it is complete. Own
/// storage up to `BrokerLimits.keptInputCapacity` is kept for the next partial message;
/// larger storage (a burst of big messages) is freed once empty, so memory shrinks back.
///
/// Invariants: `own` is nil or owned, `ownCapacity` bytes, freed exactly once (deinit,
/// `freeSpace`, `settle`, `reserve`) unless `takeStorage` gave it away. `shared` is
/// non-nil only between `freeSpace` and `settle()`, and then the unread bytes are in it.
/// Unread bytes are `start..<end` of the current buffer; nothing outside is meaningful.
struct InputBuffer: ~Copyable {
    private var own: UnsafeMutableRawPointer?
    private(set) var ownCapacity = 0
    private var shared: UnsafeMutableRawPointer?
    private var start = 0
    private var end = 0
    /// The length of the message at `start`, once its header said it is not all here.
    private var wanted = 0
    /// Set when `takeStorage` gave the buffer away, so the `consume` that follows is void.
    private var handedOff = false

    init() {}

    deinit { own?.deallocate() }

    /// The bytes received and not yet consumed.
    var unread: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: (shared ?? own).map { $0 + start }, count: end - start)
    }

    var isEmpty: Bool { start == end }

    /// Where the next read goes: the shared buffer when nothing is buffered, else this
    /// peer's storage, compacted first so the free space is as large as it can be.
    mutating func freeSpace(sharing buffer: SharedReadBuffer) -> UnsafeMutableRawBufferPointer {
        if start == end {
            start = 0
            end = 0
            if ownCapacity > BrokerLimits.keptInputCapacity { releaseOwn() }
            shared = buffer.storage
            return UnsafeMutableRawBufferPointer(start: buffer.storage, count: buffer.capacity)
        }
        guard shared == nil, let own else { preconditionFailure("unread bytes outside own storage before a read") }
        if start > 0 {
            memmove(own, own + start, end - start)
            end -= start
            start = 0
        }
        return UnsafeMutableRawBufferPointer(start: own + end, count: ownCapacity - end)
    }

    /// Records that `count` bytes were read into `freeSpace()`.
    mutating func didRead(_ count: Int) { end += count }

    /// Drops `count` bytes (the message at the front) from `unread`.
    mutating func consume(_ count: Int) {
        wanted = 0
        if handedOff {
            handedOff = false
            return
        }
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Notes that the message at the front is `length` bytes and not all here, and makes
    /// room for it: the one allocation such a message costs (in the shared buffer's case,
    /// `settle` makes it).
    mutating func reserve(messageLength length: Int) {
        wanted = length
        guard shared == nil, length > ownCapacity else { return }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 8)
        if let own { grown.copyMemory(from: own + start, byteCount: end - start) }
        releaseOwn()
        own = grown
        ownCapacity = length
        end -= start
        start = 0
    }

    /// Ends a read-and-process step: leaves the shared buffer, moving what is left in it
    /// (the start of a message) into this peer's own storage.
    mutating func settle() {
        guard let buffer = shared else { return }
        shared = nil
        let count = end - start
        guard count > 0 else {
            start = 0
            end = 0
            return
        }
        let size = max(count, wanted, BrokerLimits.minimumInputCapacity)
        if ownCapacity < size {
            releaseOwn()
            own = .allocate(byteCount: size, alignment: 8)
            ownCapacity = size
        }
        own!.copyMemory(from: buffer + start, byteCount: count)
        start = 0
        end = count
    }

    /// Gives away own storage when it holds `message` (a view of `unread`) and nothing
    /// else, so the message can be queued to its receiver without a copy; the caller owns
    /// the storage (its base is `message.baseAddress`) and frees it with `deallocate()`.
    /// The `consume` that follows is then void. Nil when that is not the case.
    mutating func takeStorage(holding message: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer? {
        guard shared == nil, let own, start == 0, end == message.count,
              UnsafeRawPointer(own) == message.baseAddress else { return nil }
        self.own = nil
        ownCapacity = 0
        end = 0
        handedOff = true
        return own
    }

    private mutating func releaseOwn() {
        own?.deallocate()
        own = nil
        ownCapacity = 0
    }
}
