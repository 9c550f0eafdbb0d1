// In-Flight Charges
//
// Which sender each message waiting in a peer's output queue is charged to, so that
// `max_incoming_bytes` and `max_incoming_unix_fds` count a sender's messages until they
// are written out, as dbus-daemon's live-message counter does.

/// The charges of one receiver's output queue, in queue order. dbus-daemon keeps a
/// message counted against its sender's transport (`live_messages`) for as long as the
/// message lives, that is until every receiver has written it; a sender whose count reaches
/// `max_incoming_bytes` or `max_incoming_unix_fds` is not read until it drops. The broker
/// copies a message into each receiver's queue, so each copy is charged to the sender and
/// released when the receiver's socket has taken its last byte.
///
/// Invariants: `charges[head...]` are unreleased, in increasing `end` order; `end` is a
/// position in the receiver's monotonic count of appended bytes. The sender is held
/// strongly — a weak reference would cost a side-table load per message — so a sender that
/// left stays allocated until the receiver writes or drops what it sent; `release` skips it
/// then (it is closed, there is nothing to resume). The receiver's disconnect releases
/// everything, so no cycle outlives both. Appending reuses capacity, so a warm queue charges
/// without allocating.
struct InFlightCharges {
    private struct Charge {
        var end: UInt64
        var sender: Peer
        var bytes: Int
        var fds: Int
    }

    private var charges: [Charge] = []
    private var head = 0
    /// Released charges kept at the front before the array is compacted.
    private static let compactionThreshold = 256

    /// Records that the bytes up to `end` include a `bytes`-byte message with `fds` fds from `sender`.
    mutating func charge(_ sender: Peer, end: UInt64, bytes: Int, fds: Int) {
        charges.append(Charge(end: end, sender: sender, bytes: bytes, fds: fds))
    }

    /// Releases every charge whose message has been written (`end <= written`), handing
    /// each sender still connected and its figures to `release`.
    mutating func release(upTo written: UInt64, _ release: (Peer, Int, Int) -> Void) {
        while head < charges.count && charges[head].end <= written {
            let charge = charges[head]
            if !charge.sender.isClosed { release(charge.sender, charge.bytes, charge.fds) }
            head += 1
        }
        compact()
    }

    private mutating func compact() {
        if head == charges.count {
            charges.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= Self.compactionThreshold && head * 2 >= charges.count {
            charges.removeFirst(head)
            head = 0
        }
    }
}
