// Reply Tracker
/// The method calls awaiting a reply, keyed by caller and serial, so that the broker
/// passes on only the replies that were asked for (kdbus's and dbus-broker's rule) and
/// answers `NoReply` itself when the callee disconnects or the deadline passes.
///
/// Deadlines are monotonic nanoseconds chosen by the caller of this type; the tracker
/// never reads a clock. A call expires once `now >= deadline`.
///
/// Cost: O(1) to record and to answer a call (plus O(log n) for the deadline heap),
/// O(k log k) for a peer's k pending calls on disconnect, O(log n) per expired call.
public struct ReplyTracker: Sendable {
    /// How many replies one caller may await at once (dbus-daemon's
    /// `max_replies_per_connection`, which counts against the caller).
    public let maxPendingRepliesPerPeer: Int

    private struct Slot {
        let callee: PeerID
        let deadline: UInt64?
        let sequence: UInt64
    }

    private var slots: [ReplyKey: Slot] = [:]
    private var keysByCallee: [PeerID: [ReplyKey: UInt64]] = [:]
    private var serialsByCaller: [PeerID: Set<Serial>] = [:]
    private var deadlines = DeadlineHeap()
    private var liveDeadlineCount = 0
    private var nextSequence: UInt64 = 0

    /// Below this many heap entries, stale ones are not worth a rebuild.
    static let heapCompactionFloor = 64

    /// Heap entries, answered calls not yet dropped included (for tests of the bound).
    var deadlineHeapSize: Int { deadlines.count }

    public init(maxPendingRepliesPerPeer: Int = ReplyLimits.sessionMaxPendingRepliesPerPeer) {
        self.maxPendingRepliesPerPeer = maxPendingRepliesPerPeer
    }

    /// Calls awaiting a reply, over all peers.
    public var count: Int { slots.count }

    /// How many replies `caller` awaits.
    public func pendingCount(of caller: PeerID) -> Int { serialsByCaller[caller]?.count ?? 0 }

    /// The callee of the pending call `key`, if it is pending.
    public func callee(of key: ReplyKey) -> PeerID? { slots[key]?.callee }

    // MARK: - Calls and replies

    /// Records that `caller`'s call `serial` to `callee` awaits a reply until `deadline`
    /// (nil: no timeout). The broker calls this only for method calls without
    /// NO_REPLY_EXPECTED, before passing the call on.
    public mutating func expectReply(
        from caller: PeerID, serial: UInt32, to callee: PeerID, deadline: UInt64?
    ) throws(ReplyTrackerError) {
        let key = ReplyKey(caller: caller, serial: serial)
        let sequence = nextSequence
        // Inserted first, so the common case costs one lookup; the refusals undo it, and
        // a duplicate is still reported before the quota, as when checked separately.
        if let existing = slots.updateValue(Slot(callee: callee, deadline: deadline, sequence: sequence), forKey: key) {
            slots[key] = existing
            throw .duplicateSerial(key, pendingOn: existing.callee)
        }
        if pendingCount(of: caller) >= maxPendingRepliesPerPeer {
            slots[key] = nil
            throw .quotaExceeded(caller: caller, limit: maxPendingRepliesPerPeer)
        }
        nextSequence += 1
        keysByCallee[callee, default: [:]][key] = sequence
        serialsByCaller[caller, default: []].insert(Serial(serial))
        if let deadline {
            deadlines.insert(DeadlineHeap.Entry(deadline: deadline, sequence: sequence, key: key))
            liveDeadlineCount += 1
        }
    }

    /// Judges a reply or error from `callee` to `caller` with `replySerial`. When accepted,
    /// the call is answered and a second reply will be `.unexpected`.
    public mutating func takeReply(from callee: PeerID, to caller: PeerID, replySerial: UInt32) -> ReplyAdmission {
        let key = ReplyKey(caller: caller, serial: replySerial)
        // One lookup for the common case (taken out at once); a reply from the wrong peer
        // puts the slot back.
        guard let slot = slots.removeValue(forKey: key) else { return .unexpected }
        guard slot.callee == callee else {
            slots[key] = slot
            return .wrongSender(expected: slot.callee)
        }
        forget(key, slot)
        return .accepted
    }

    // MARK: - Disconnects and timeouts

    /// Forgets the calls `callee` will never answer and returns them, newest first, so the
    /// broker sends each caller `NoReply` with `NoReplyReason.calleeDisconnected` at once.
    /// Newest first is dbus-daemon's order: its pending-reply list is built by prepending
    /// (bus/expirelist.c) and walked from the front; observed on 1.14.10 with two calls.
    public mutating func calleeDisconnected(_ callee: PeerID) -> [PendingReply] {
        guard let keys = keysByCallee.removeValue(forKey: callee) else { return [] }
        return keys.sorted { $0.value > $1.value }.map { key, _ in take(key) }
    }

    /// Forgets the calls `caller` made: nobody is left to receive their replies.
    /// Returns how many there were.
    @discardableResult
    public mutating func callerDisconnected(_ caller: PeerID) -> Int {
        guard let serials = serialsByCaller.removeValue(forKey: caller) else { return 0 }
        for serial in serials { remove(ReplyKey(caller: caller, serial: serial.value)) }
        return serials.count
    }

    /// Both sides of a disconnect, in dbus-daemon's order (bus/connection.c,
    /// `bus_connection_drop_pending_replies`): calls `peer` made are dropped (including any
    /// to itself), then those it owed are returned for `NoReply`.
    public mutating func peerDisconnected(_ peer: PeerID) -> [PendingReply] {
        callerDisconnected(peer)
        return calleeDisconnected(peer)
    }

    /// Forgets and returns the calls whose deadline is at or before `now`, earliest
    /// deadline first (ties in the order the calls were made), for `NoReply` with
    /// `NoReplyReason.timedOut`.
    public mutating func expired(now: UInt64) -> [PendingReply] {
        var result: [PendingReply] = []
        while let earliest = firstLiveDeadline(), earliest.deadline <= now {
            _ = deadlines.removeFirst()
            result.append(take(earliest.key))
        }
        return result
    }

    /// The earliest deadline still pending, for arming the broker's timer.
    public mutating func nextDeadline() -> UInt64? { firstLiveDeadline()?.deadline }

    // MARK: - Bookkeeping

    /// Drops answered calls off the top of the heap and returns the first live one.
    private mutating func firstLiveDeadline() -> DeadlineHeap.Entry? {
        while let entry = deadlines.first {
            if slots[entry.key]?.sequence == entry.sequence { return entry }
            _ = deadlines.removeFirst()
        }
        return nil
    }

    private mutating func take(_ key: ReplyKey) -> PendingReply {
        let slot = slots[key]
        remove(key)
        guard let slot else { preconditionFailure("reply slot \(key) vanished") }
        return PendingReply(key: key, callee: slot.callee, deadline: slot.deadline)
    }

    /// Forgets one call. A peer's emptied collections stay until it disconnects, and they
    /// are changed through `values[index]` rather than the optional subscript: that accessor
    /// allocated its coroutine frame on the heap (three per collection, seen in callgrind),
    /// and a collection dropped when empty was allocated again by the next call — eight
    /// allocations per call and reply, now none (`KDBusPathAllocationTests` counts them).
    private mutating func remove(_ key: ReplyKey) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        forget(key, slot)
    }

    /// The bookkeeping of `remove` for a slot already taken out of `slots`.
    private mutating func forget(_ key: ReplyKey, _ slot: Slot) {
        // Changed in place through an index: one look-up each, where moving the collection
        // out and back took two.
        if let index = keysByCallee.index(forKey: slot.callee) { keysByCallee.values[index][key] = nil }
        if let index = serialsByCaller.index(forKey: key.caller) { serialsByCaller.values[index].remove(Serial(key.serial)) }
        if slot.deadline != nil {
            liveDeadlineCount -= 1
            compactDeadlinesIfMostlyStale()
        }
    }

    /// Answered calls stay in the heap until they surface; when they outnumber the live
    /// ones the heap is rebuilt in O(heap size), which keeps its size within twice the live
    /// count and costs O(1) amortised per removal.
    private mutating func compactDeadlinesIfMostlyStale() {
        guard deadlines.count > Self.heapCompactionFloor, deadlines.count > 2 * liveDeadlineCount else { return }
        let slots = self.slots
        deadlines.removeAll { slots[$0.key]?.sequence != $0.sequence }
    }
}

/// A caller's serial in `ReplyTracker`'s per-caller sets, hashed with `WordHash`: a set of
/// `UInt32` hashes each with SipHash (see `WordHash` on flooding).
private struct Serial: Hashable {
    let value: UInt32
    init(_ value: UInt32) { self.value = value }
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
    func _rawHashValue(seed: Int) -> Int { WordHash.hash(UInt64(value), seed: seed) }
}
