// Received Descriptors
//
// The fds a peer has sent and no message has claimed yet, in arrival order.
import BusPlatform
import Glibc

/// A FIFO of owned descriptor numbers. Each message takes its `UNIX_FDS` count from the
/// front; whatever is left when the stream has no partial message is a protocol error.
///
/// Invariant: every number in `raw[head...]` is open and owned here; deinit closes them.
struct ReceivedDescriptors: ~Copyable {
    private var raw: [CInt] = []
    private var head = 0

    init() {}

    deinit {
        for index in head..<raw.count { _ = Glibc.close(raw[index]) }
    }

    var count: Int { raw.count - head }

    /// Moves every descriptor out of `list` (which keeps its capacity) into the queue.
    mutating func takeAll(from list: inout DescriptorList) {
        for index in 0..<list.count {
            if let descriptor = list.take(at: index) { raw.append(descriptor.take()) }
        }
        list.removeAll()
    }

    /// The raw number of the `index`th unclaimed descriptor, lent while the queue owns it.
    func rawValue(at index: Int) -> CInt { raw[head + index] }

    /// Closes and forgets the first `count` descriptors, once their message was routed
    /// (receivers got duplicates).
    mutating func dropFirst(_ count: Int) {
        for index in head..<(head + count) { _ = Glibc.close(raw[index]) }
        head += count
        if head == raw.count {
            raw.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}
