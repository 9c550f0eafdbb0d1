// Byte Buffer: a growable receive buffer with a readable region and free space behind it.

/// Received bytes waiting to be parsed, followed by free space to read into. Parsed bytes
/// are dropped from the front; the rest moves down only when free space runs short, so a
/// steady stream of small messages costs no copying and no allocation.
struct ByteBuffer {
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    /// The bytes received and not yet dropped.
    var readable: Slice<UnsafeMutableRawBufferPointer> { storage[start..<end] }

    /// Space to read into; `commit` what was read.
    var free: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: storage[end...]) }

    mutating func commit(_ count: Int) { end += count }

    mutating func drop(_ count: Int) {
        start += count
        if start == end { start = 0; end = 0 }
    }

    /// Makes at least `count` bytes of free space, compacting first and growing only if needed.
    mutating func reserveFree(_ count: Int) {
        if storage.count - end >= count { return }
        let pending = end - start
        if storage.count - pending >= count {
            storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending)
        } else {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(storage.count * 2, pending + count), alignment: 8)
            grown.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending)
            storage.deallocate()
            storage = grown
        }
        start = 0
        end = pending
    }
}
