// Input Buffer
//
// One peer's receive buffer: bytes are read into its free tail, messages are framed and
// validated in place, and the buffer grows only when a message is larger than it.
import Glibc

/// A reusable byte buffer for one peer's incoming stream. Messages are never copied out:
/// the broker validates and routes them where they lie, then `consume`s them.
///
/// Invariants: `storage` is owned, `capacity` bytes, freed once in deinit; unread bytes
/// are `start..<end`; nothing outside that range is meaningful.
struct InputBuffer: ~Copyable {
    private var storage: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private var start = 0
    private var end = 0

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { storage.deallocate() }

    /// The bytes received and not yet consumed.
    var unread: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + start, count: end - start) }

    var isEmpty: Bool { start == end }

    /// Where the next read goes; compacts first so the free space is as large as it can be.
    mutating func freeSpace() -> UnsafeMutableRawBufferPointer {
        if start > 0 {
            if start < end { memmove(storage, storage + start, end - start) }
            end -= start
            start = 0
        }
        return UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end)
    }

    /// Records that `count` bytes were read into `freeSpace()`.
    mutating func didRead(_ count: Int) { end += count }

    /// Drops `count` bytes from the front of `unread`.
    mutating func consume(_ count: Int) {
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Makes room for a message of `length` bytes: the one allocation a larger message costs.
    mutating func reserve(messageLength length: Int) {
        guard length > capacity else { return }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 8)
        grown.copyMemory(from: storage + start, byteCount: end - start)
        storage.deallocate()
        storage = grown
        end -= start
        start = 0
        capacity = length
    }
}
