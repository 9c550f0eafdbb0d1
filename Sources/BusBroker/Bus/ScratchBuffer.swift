// Scratch Buffer: a broker-owned buffer reused from message to message.

/// Raw bytes the broker writes a message (or part of one) into on its way through, reused
/// for every message: it allocates only when a larger message arrives, and gives memory back
/// after an unusually large one, so a single 100 MiB message does not stay resident.
///
/// Invariant: `start` is nil or `capacity` bytes owned here, freed once (on growth, on
/// `shrink`, or in deinit). Allocated at first use, so a bus that never needs it pays nothing.
struct ScratchBuffer: ~Copyable {
    private var start: UnsafeMutableRawPointer?
    private var capacity = 0
    /// The first allocation's size.
    let initialCapacity: Int
    /// The largest capacity kept between messages.
    let retainedCapacity: Int

    init(initialCapacity: Int, retainedCapacity: Int) {
        self.initialCapacity = initialCapacity
        self.retainedCapacity = retainedCapacity
    }

    deinit { start?.deallocate() }

    /// At least `length` bytes; valid until the next `bytes` or `shrink`.
    mutating func bytes(length: Int) -> UnsafeMutableRawBufferPointer {
        if length > capacity || start == nil {
            start?.deallocate()
            capacity = max(length, capacity * 2, initialCapacity)
            start = .allocate(byteCount: capacity, alignment: 8)
        }
        return UnsafeMutableRawBufferPointer(start: start, count: length)
    }

    /// Frees the buffer if it grew past `retainedCapacity`.
    mutating func shrink() {
        guard capacity > retainedCapacity else { return }
        start?.deallocate()
        start = nil
        capacity = 0
    }
}
