// KDBus Connection: what the broker holds for one peer upgraded to the kdbus transport.
import BusPlatform
import DBusWire
import Glibc

/// The kdbus side of one `Peer` (docs/kdbus-transport.md §3–5): the grant, the receive
/// pool the broker writes, the client's send arena once announced, and the RECV records
/// waiting for the socket. A classic peer has none.
///
/// RECVs are not put on the peer's `OutputQueue` when made: they wait here, ordered by
/// priority (lowest value first, FIFO within one), and move to the queue only when it is
/// empty — so while the socket is backed up, a later urgent message overtakes waiting ones
/// (§5.1, kdbus's priority queue).
final class KDBusConnection {
    let agreement: KDBusAgreement
    var pool: ReceivePool
    /// Set by the client's ARENA record, which must be its first.
    var arena: SendArenaReader?
    /// Stream offset of the next record from the client, for error reports.
    var recordOffset = 0
    /// Broadcasts dropped since the last BROADCASTS_LOST, and over the connection's life.
    var lostSinceReport: UInt64 = 0
    var lostTotal: UInt64 = 0
    // Invariant: sorted by (priority, order); every fd in `waiting` is owned here.
    private var waiting: [WaitingReceive] = []
    private var nextOrder: UInt64 = 0
    private(set) var waitingDescriptorCount = 0

    private struct WaitingReceive {
        var record: KDBusRecord.Receive
        var fds: [CInt]
        var order: UInt64
    }

    init(agreement: KDBusAgreement, pool: consuming ReceivePool) {
        self.agreement = agreement
        self.pool = pool
    }

    deinit {
        for entry in waiting { for fd in entry.fds { _ = Glibc.close(fd) } }
    }

    /// RECVs or a BROADCASTS_LOST report not yet on the output queue.
    var hasWaiting: Bool { !waiting.isEmpty || lostSinceReport > 0 }

    /// True once the client's ARENA was accepted.
    var hasArena: Bool {
        switch arena {
        case .some: true
        case .none: false
        }
    }

    /// Copies the message a SEND names out of the arena into `copy` (exactly its length).
    func copyOut(offset: UInt64, into copy: UnsafeMutableRawBufferPointer) throws(PoolError) {
        switch arena {
        case .some(let reader):
            try reader.withMessage(offset: offset, length: UInt64(copy.count)) { bytes in copy.copyMemory(from: bytes) }
        case .none:
            preconditionFailure("KDBusConnection.copyOut before ARENA")
        }
    }

    /// SENDs whose message has been copied out of the arena (the pool's `sendsConsumed`).
    private(set) var sendsConsumed: UInt64 = 0

    /// Tells the client one more SEND's arena space may be reused.
    func markConsumed() {
        sendsConsumed += 1
        pool.storeSendsConsumed(sendsConsumed)
    }

    /// Queues a RECV and takes ownership of `fds`.
    func enqueue(_ record: KDBusRecord.Receive, fds: [CInt]) {
        let entry = WaitingReceive(record: record, fds: fds, order: nextOrder)
        nextOrder &+= 1
        waitingDescriptorCount += fds.count
        // The common case (equal priorities) appends; an urgent one walks back past the
        // less urgent, stopping at its own priority so equal ones stay FIFO.
        var index = waiting.count
        while index > 0, waiting[index - 1].record.priority > record.priority { index -= 1 }
        waiting.insert(entry, at: index)
    }

    /// Moves every waiting RECV (after a BROADCASTS_LOST, if any were lost) onto `output`.
    func moveWaiting(to output: inout OutputQueue) {
        guard hasWaiting else { return }
        withUnsafeTemporaryAllocation(byteCount: KDBusLimits.recordSize, alignment: 8) { record in
            if lostSinceReport > 0 {
                KDBusRecord.broadcastsLost(.init(count: lostSinceReport, total: lostTotal)).encode(into: record)
                output.append(UnsafeRawBufferPointer(record))
                lostSinceReport = 0
            }
            for index in waiting.indices {
                KDBusRecord.receive(waiting[index].record).encode(into: record)
                output.append(UnsafeRawBufferPointer(record), fds: waiting[index].fds)
            }
        }
        waiting.removeAll(keepingCapacity: true)
        waitingDescriptorCount = 0
    }

    /// Counts one broadcast dropped because the pool was full.
    func countLostBroadcast() {
        lostSinceReport += 1
        lostTotal += 1
    }
}
