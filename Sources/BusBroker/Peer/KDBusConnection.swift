// KDBus Connection: what the broker holds for one peer upgraded to the kdbus transport.
import BusPlatform
import DBusWire
import Glibc

/// The kdbus side of one `Peer` (docs/kdbus-transport.md §3–5): the grant, the receive
/// pool the broker writes, the client's send arena once announced, the two doorbells, the
/// ring indices the broker owns, and the RECVs waiting for room in the RECV ring.
/// A classic peer has none.
///
/// RECVs are not published when made: they wait here, ordered by priority (lowest value
/// first, FIFO within one), and move to the RECV ring when there is room and any
/// descriptors they carry have left on the socket — so while the ring is full or the socket
/// is backed up, a later urgent message overtakes waiting ones (§5.1, kdbus's priority queue).
final class KDBusConnection {
    /// Command entries carried out per doorbell wake-up before the broker turns to other
    /// peers (it comes back on the next loop turn): one busy client cannot starve the loop.
    static let entriesPerWake = 256

    let agreement: KDBusAgreement
    var pool: ReceivePool
    /// Set by the client's ARENA record, which must be its first.
    var arena: SendArenaReader?
    /// The broker's ends of the doorbells (docs/kdbus-transport.md §4).
    let toClient: DoorbellRinger
    let fromClient: EdgeTriggeredDoorbell
    /// The event-loop registration of `fromClient`, from ARENA on.
    var doorbellRegistration: IORegistration?
    /// Stream offset of the next record on the socket from the client, for error reports.
    var recordOffset = 0
    /// Command entries consumed (the pool's `commandHead`) and RECV entries published
    /// (`recvTail`): the broker's own counts, never read back from shared memory.
    var commandHead: UInt64 = 0
    var receiveTail: UInt64 = 0
    /// True while command entries wait because the peer is throttled (`max_incoming_*`).
    var commandsHeldByThrottle = false
    /// True while `brokerWaitsForRecvSpace` is set in the pool.
    var waitsForReceiveSpace = false
    /// True while the first waiting RECV's FDS record is queued on the socket but not yet
    /// fully written: its entry is published only once it is.
    var firstWaitingDescriptorsQueued = false
    /// Descriptors that FDS records announced and no SEND has claimed yet.
    var unclaimedDescriptors = 0
    /// Broadcasts dropped since the last BROADCASTS_LOST, and over the connection's life.
    var lostSinceReport: UInt64 = 0
    var lostTotal: UInt64 = 0
    /// Bytes of bodies the broker put in memfds of its own for this receiver (docs §8.2) whose
    /// slices it has not freed yet, by slice offset: broker memory, so held to
    /// `max_outgoing_bytes` as a classic receiver's queue is.
    private(set) var spilledBytes = 0
    private var spilledSlices: [Int: Int] = [:]
    // Invariant: `waiting[waitingStart...]` is sorted by (priority, order); every fd in it
    // is owned here.
    private var waiting: [WaitingReceive] = []
    private var waitingStart = 0
    private var nextOrder: UInt64 = 0
    private(set) var waitingDescriptorCount = 0

    private struct WaitingReceive {
        var record: KDBusRecord.Receive
        var fds: [CInt]
        var order: UInt64
    }

    init(agreement: KDBusAgreement, pool: consuming ReceivePool, toClient: consuming DoorbellRinger, fromClient: consuming EdgeTriggeredDoorbell) {
        self.agreement = agreement
        self.pool = pool
        self.toClient = toClient
        self.fromClient = fromClient
    }

    deinit {
        for index in waitingStart..<waiting.count { for fd in waiting[index].fds { _ = Glibc.close(fd) } }
    }

    /// RECVs or a BROADCASTS_LOST report not yet in the RECV ring.
    var hasWaiting: Bool { waitingStart < waiting.count || lostSinceReport > 0 }

    /// True once the client's ARENA was accepted.
    var hasArena: Bool { arena != nil }

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
        // less urgent, stopping at its own priority so equal ones stay FIFO. An entry whose
        // FDS record is already on the socket stays first.
        var index = waiting.count
        let floor = waitingStart + (firstWaitingDescriptorsQueued ? 1 : 0)
        while index > floor, waiting[index - 1].record.priority > record.priority { index -= 1 }
        // `append` for the common case: `insert(at:)` takes the generic range-replacing path.
        if index == waiting.count { waiting.append(entry) } else { waiting.insert(entry, at: index) }
    }

    /// Notes a spilled body of `bytes` whose RECV names the slice at `offset`.
    func noteSpill(offset: Int, bytes: Int) {
        spilledSlices[offset] = bytes
        spilledBytes += bytes
    }

    /// Frees the slice at `offset` (the client's FREE); a spilled body's bytes stop counting.
    func freeSlice(offset: Int) throws(PoolError) {
        try pool.free(offset: offset)
        if spilledBytes > 0 { releaseSpill(offset: offset) }
    }

    /// Out of line: the FREE path of every message pays one comparison, not the table.
    @inline(never)
    private func releaseSpill(offset: Int) {
        if let bytes = spilledSlices.removeValue(forKey: offset) { spilledBytes -= bytes }
    }

    /// Counts one broadcast dropped because the pool was full.
    func countLostBroadcast() {
        lostSinceReport += 1
        lostTotal += 1
    }

    // MARK: Publishing into the RECV ring

    /// Why `publishWaiting` stopped.
    enum PublishOutcome {
        /// Nothing waits any more.
        case done
        /// The RECV ring is full: the flag is set, the client's doorbell brings us back.
        case ringFull
        /// The first waiting RECV's FDS record is on the socket, not yet fully written.
        case socketBusy
        /// The client's `recvHead` is impossible (`value`): a protocol error.
        case impossibleHead(UInt64)
    }

    /// Moves waiting RECVs (after a BROADCASTS_LOST, if any were lost) into the RECV ring
    /// while there is room, in order. A RECV with descriptors first queues its FDS record
    /// on `output`; its entry is published only when `output` is empty again (the record
    /// left completely), which `flushed` reports. Rings the client per the wake rule.
    func publishWaiting(output: inout OutputQueue, flushed: (inout OutputQueue) -> Bool) -> PublishOutcome {
        // Before ARENA the client has no arena to publish its head in: it has consumed nothing.
        let head = loadReceiveHead()
        guard var space = RecordRing.space(tail: receiveTail, consumerHead: head) else { return .impossibleHead(head) }
        let oldTail = receiveTail
        var outcome = PublishOutcome.done
        withUnsafeTemporaryAllocation(byteCount: KDBusLimits.recordSize, alignment: 8) { record in
            while hasWaiting {
                if space == 0 {
                    guard let more = recheckSpace() else { outcome = .impossibleHead(head); return }
                    guard more > 0 else { outcome = .ringFull; return }
                    space = more
                }
                if lostSinceReport > 0 {
                    KDBusRecord.broadcastsLost(.init(count: lostSinceReport, total: lostTotal)).encode(into: record)
                    lostSinceReport = 0
                } else {
                    let entry = waiting[waitingStart]
                    if !entry.fds.isEmpty && !firstWaitingDescriptorsQueued {
                        guard output.isEmpty else { outcome = .socketBusy; return }
                        KDBusRecord.descriptors(count: UInt32(entry.fds.count)).encode(into: record)
                        // The queue owns the fds from here (it closes them once sent).
                        output.append(UnsafeRawBufferPointer(record), fds: entry.fds)
                        waitingDescriptorCount -= entry.fds.count
                        waiting[waitingStart].fds = []
                        firstWaitingDescriptorsQueued = true
                    }
                    if firstWaitingDescriptorsQueued {
                        guard flushed(&output) else { outcome = .socketBusy; return }
                    }
                    firstWaitingDescriptorsQueued = false
                    waitingDescriptorCount -= waiting[waitingStart].fds.count
                    waitingStart += 1
                    KDBusRecord.receive(entry.record).encode(into: record)
                }
                pool.writeReceiveEntry(receiveTail, from: UnsafeRawBufferPointer(record))
                receiveTail += 1
                space -= 1
            }
        }
        if waitingStart == waiting.count {
            // One entry (a round trip's usual) goes by `removeLast`, not the generic range removal.
            if waiting.count == 1 { waiting.removeLast() } else { waiting.removeAll(keepingCapacity: true) }
            waitingStart = 0
        }
        if receiveTail != oldTail, pool.publishReceives(oldTail: oldTail, newTail: receiveTail, clientHead: loadReceiveHead) {
            wakeClient()
        }
        return outcome
    }

    // MARK: The command ring (nil / no-ops before ARENA)

    /// The client's `commandTail`, read once.
    func loadCommandTail() -> UInt64? { arena?.loadCommandTail() }

    /// Copies command entry `index` into `entry` (zeros before ARENA, which decode as an error).
    func copyCommandEntry(_ index: UInt64, into entry: UnsafeMutableRawBufferPointer) {
        switch arena {
        case .some(let reader): reader.copyCommandEntry(index, into: entry)
        case .none: entry.initializeMemory(as: UInt8.self, repeating: 0)
        }
    }

    /// Stores `commandHead` = `head`, rings the client if it waits for command space, and
    /// returns the tail re-loaded after the fence (`RecordRing.finishPass`).
    func finishCommandPass(head: UInt64) -> UInt64? {
        switch arena {
        case .some(let reader):
            let tail = pool.finishCommandPass(head: head) { reader.loadCommandTail() }
            if reader.loadClientWaitsForCommandSpace() { wakeClient() }
            return tail
        case .none: return nil
        }
    }

    /// Wakes the client by futex or doorbell, as it sleeps (§4.3); only after the fence that
    /// follows an index store. Before ARENA there is no flag to read: ring.
    private func wakeClient() {
        pool.wakeClient(sleepsOnFutex: arena?.loadClientSleepsOnFutex() ?? false, doorbell: toClient)
    }

    /// The client's `recvHead`, read once (0 before ARENA).
    private func loadReceiveHead() -> UInt64 { arena?.loadReceiveHead() ?? 0 }

    /// The ring is full: set `brokerWaitsForRecvSpace`, then re-load the client's head
    /// (the flag's fence orders the two), so a client that consumed meanwhile is seen now
    /// and one that consumes later sees the flag and rings. Space now, or nil if impossible.
    private func recheckSpace() -> Int? {
        if !waitsForReceiveSpace {
            pool.storeBrokerWaitsForRecvSpace(true)
            waitsForReceiveSpace = true
        }
        return RecordRing.space(tail: receiveTail, consumerHead: loadReceiveHead())
    }

    /// The client's doorbell rang while the broker waited for RECV-ring space: clear the
    /// flag; the next `publishWaiting` re-checks the space.
    func clearReceiveSpaceWait() {
        guard waitsForReceiveSpace else { return }
        waitsForReceiveSpace = false
        pool.storeBrokerWaitsForRecvSpace(false)
    }
}
