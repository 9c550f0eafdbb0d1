// Reply Tracker
import Testing
import TestSupport
@testable import BusBroker

private let caller = PeerID(1), callee = PeerID(2), other = PeerID(3)

@Suite struct ReplyTrackerTests {
    // MARK: - Replies

    @Test func calleeMayAnswerExactlyOnce() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 7, to: callee, deadline: nil)
        #expect(tracker.takeReply(from: callee, to: caller, replySerial: 7) == .accepted)
        #expect(tracker.takeReply(from: callee, to: caller, replySerial: 7) == .unexpected)
        #expect(tracker.count == 0)
    }

    @Test func replyFromAnotherPeerIsRefusedAndLeavesTheCallPending() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 7, to: callee, deadline: nil)
        #expect(tracker.takeReply(from: other, to: caller, replySerial: 7) == .wrongSender(expected: callee))
        #expect(tracker.takeReply(from: callee, to: caller, replySerial: 7) == .accepted)
    }

    @Test func replyToACallNeverMadeIsUnexpected() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 7, to: callee, deadline: nil)
        #expect(tracker.takeReply(from: callee, to: caller, replySerial: 8) == .unexpected)
        #expect(tracker.takeReply(from: callee, to: other, replySerial: 7) == .unexpected)
        #expect(tracker.count == 1)
    }

    @Test func serialMayNotBeReusedWhileItsCallIsPending() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 7, to: callee, deadline: nil)
        let error = #expect(throws: ReplyTrackerError.self) {
            try tracker.expectReply(from: caller, serial: 7, to: other, deadline: nil)
        }
        #expect(error == .duplicateSerial(ReplyKey(caller: caller, serial: 7), pendingOn: callee))
        // bus/connection.c bus_connections_expect_reply.
        #expect(error?.dbusErrorName == "org.freedesktop.DBus.Error.AccessDenied")
        #expect(error?.message == "Message has the same reply serial as a currently-outstanding existing method call")
        #expect(tracker.callee(of: ReplyKey(caller: caller, serial: 7)) == callee)

        // Another caller may use the same serial, and once answered the serial is free again.
        try tracker.expectReply(from: other, serial: 7, to: callee, deadline: nil)
        _ = tracker.takeReply(from: callee, to: caller, replySerial: 7)
        try tracker.expectReply(from: caller, serial: 7, to: other, deadline: nil)
        #expect(tracker.count == 2)
    }

    // MARK: - Limits

    /// Observed on dbus-daemon 1.14.10 with max_replies_per_connection=2: the third
    /// unanswered call fails with this error and text.
    @Test func pendingRepliesPerCallerAreLimited() throws {
        var tracker = ReplyTracker(maxPendingRepliesPerPeer: 2)
        try tracker.expectReply(from: caller, serial: 1, to: callee, deadline: nil)
        try tracker.expectReply(from: caller, serial: 2, to: other, deadline: nil)
        let error = #expect(throws: ReplyTrackerError.self) {
            try tracker.expectReply(from: caller, serial: 3, to: callee, deadline: nil)
        }
        #expect(error == .quotaExceeded(caller: caller, limit: 2))
        #expect(error?.dbusErrorName == "org.freedesktop.DBus.Error.LimitsExceeded")
        #expect(error?.message == "The maximum number of pending replies per connection has been reached")
        #expect(error?.logMessage.contains("max_replies_per_connection=2") == true)
        #expect(tracker.pendingCount(of: caller) == 2)

        // The limit is the caller's: the callee may still call out.
        try tracker.expectReply(from: callee, serial: 1, to: caller, deadline: nil)
        // An answer makes room.
        _ = tracker.takeReply(from: callee, to: caller, replySerial: 1)
        try tracker.expectReply(from: caller, serial: 3, to: callee, deadline: nil)
    }

    @Test func limitsShipWithDbusDaemonsValues() {
        #expect(ReplyLimits.sessionMaxPendingRepliesPerPeer == 50_000)
        #expect(ReplyLimits.systemMaxPendingRepliesPerPeer == 128)
        #expect(ReplyTracker().maxPendingRepliesPerPeer == ReplyLimits.sessionMaxPendingRepliesPerPeer)
    }

    // MARK: - Disconnects

    /// Observed on dbus-daemon 1.14.10: two calls pending on a callee that disconnects get
    /// NoReply at once, newest first, with this text.
    @Test func calleeDisconnectReturnsItsCallsNewestFirst() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 1, to: callee, deadline: 50)
        try tracker.expectReply(from: other, serial: 9, to: callee, deadline: nil)
        try tracker.expectReply(from: caller, serial: 2, to: other, deadline: nil)
        try tracker.expectReply(from: caller, serial: 3, to: callee, deadline: nil)

        let owed = tracker.calleeDisconnected(callee)
        #expect(owed == [
            PendingReply(key: ReplyKey(caller: caller, serial: 3), callee: callee, deadline: nil),
            PendingReply(key: ReplyKey(caller: other, serial: 9), callee: callee, deadline: nil),
            PendingReply(key: ReplyKey(caller: caller, serial: 1), callee: callee, deadline: 50),
        ])
        #expect(NoReplyReason.calleeDisconnected.message == "Message recipient disconnected from message bus without replying")
        #expect(NoReplyReason.errorName == "org.freedesktop.DBus.Error.NoReply")
        #expect(tracker.count == 1)
        #expect(tracker.takeReply(from: callee, to: caller, replySerial: 1) == .unexpected)
        #expect(tracker.expired(now: 100).isEmpty)  // already answered by the NoReply
        #expect(tracker.calleeDisconnected(callee).isEmpty)
    }

    @Test func callerDisconnectDropsItsCalls() throws {
        var tracker = ReplyTracker(maxPendingRepliesPerPeer: 2)
        try tracker.expectReply(from: caller, serial: 1, to: callee, deadline: 10)
        try tracker.expectReply(from: caller, serial: 2, to: other, deadline: nil)
        try tracker.expectReply(from: other, serial: 1, to: callee, deadline: 20)

        #expect(tracker.callerDisconnected(caller) == 2)
        #expect(tracker.takeReply(from: callee, to: caller, replySerial: 1) == .unexpected)
        #expect(tracker.expired(now: 100).map(\.key) == [ReplyKey(caller: other, serial: 1)])
        #expect(tracker.pendingCount(of: caller) == 0)
        #expect(tracker.calleeDisconnected(other).isEmpty)
    }

    @Test func peerDisconnectHandlesCallsToItself() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 1, to: caller, deadline: nil)
        try tracker.expectReply(from: other, serial: 4, to: caller, deadline: nil)
        try tracker.expectReply(from: caller, serial: 2, to: other, deadline: nil)
        // Its own call to itself has nobody to tell; the other caller gets NoReply.
        #expect(tracker.peerDisconnected(caller).map(\.key) == [ReplyKey(caller: other, serial: 4)])
        #expect(tracker.count == 0)
    }

    // MARK: - Timeouts

    @Test func expiryComesInDeadlineOrderThenCallOrder() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 1, to: callee, deadline: 300)
        try tracker.expectReply(from: caller, serial: 2, to: callee, deadline: 100)
        try tracker.expectReply(from: other, serial: 1, to: callee, deadline: 200)
        try tracker.expectReply(from: caller, serial: 3, to: callee, deadline: 100)
        try tracker.expectReply(from: caller, serial: 4, to: callee, deadline: nil)

        #expect(tracker.nextDeadline() == 100)
        #expect(tracker.expired(now: 99).isEmpty)
        #expect(tracker.expired(now: 200).map(\.key) == [
            ReplyKey(caller: caller, serial: 2), ReplyKey(caller: caller, serial: 3), ReplyKey(caller: other, serial: 1),
        ])
        #expect(tracker.nextDeadline() == 300)
        #expect(tracker.expired(now: 300).map(\.key) == [ReplyKey(caller: caller, serial: 1)])
        // No deadline: never expires.
        #expect(tracker.expired(now: .max).isEmpty)
        #expect(tracker.nextDeadline() == nil)
        #expect(tracker.count == 1)
        #expect(NoReplyReason.timedOut.message == "Message did not receive a reply (timeout by message bus)")
    }

    @Test func answeredCallsNeitherExpireNorHoldTheTimer() throws {
        var tracker = ReplyTracker()
        try tracker.expectReply(from: caller, serial: 1, to: callee, deadline: 10)
        try tracker.expectReply(from: caller, serial: 2, to: callee, deadline: 20)
        _ = tracker.takeReply(from: callee, to: caller, replySerial: 1)
        #expect(tracker.nextDeadline() == 20)
        // The same serial reused with a later deadline is not expired by the old entry.
        try tracker.expectReply(from: caller, serial: 1, to: callee, deadline: 30)
        #expect(tracker.expired(now: 25).map(\.key) == [ReplyKey(caller: caller, serial: 2)])
        #expect(tracker.expired(now: 30).map(\.deadline) == [30])
    }

    /// Many answered calls leave stale heap entries behind; a seeded random run checks
    /// expiry against a plain model through the heap's rebuilds, and that the heap stays
    /// within twice the live calls (memory does not grow with answered calls).
    @Test func expiryMatchesAModelThroughHeapRebuilds() throws {
        var random = SeededRandom(seed: 0x5eed)
        var tracker = ReplyTracker()
        var model: [ReplyKey: (deadline: UInt64, order: Int)] = [:]
        var order = 0
        var now: UInt64 = 0
        for step in 0..<20_000 {
            let peer = PeerID(random.next() % 8)
            let serial = UInt32(random.next() % 64)
            let key = ReplyKey(caller: peer, serial: serial)
            switch random.next() % 10 {
            case 0..<4 where model[key] == nil:
                let deadline = now + random.next() % 100_000
                try tracker.expectReply(from: peer, serial: serial, to: callee, deadline: deadline)
                model[key] = (deadline, order)
                order += 1
            case 0..<9:
                let admission = tracker.takeReply(from: callee, to: peer, replySerial: serial)
                #expect(admission == (model.removeValue(forKey: key) == nil ? .unexpected : .accepted))
            default:
                now += random.next() % 100
                let due = model.filter { $0.value.deadline <= now }
                    .sorted { ($0.value.deadline, $0.value.order) < ($1.value.deadline, $1.value.order) }
                    .map(\.key)
                for key in due { model[key] = nil }
                #expect(tracker.expired(now: now).map(\.key) == due, "step \(step)")
            }
            #expect(tracker.deadlineHeapSize <= max(ReplyTracker.heapCompactionFloor, 2 * model.count) + 1, "step \(step)")
        }
        #expect(tracker.count == model.count)
        #expect(tracker.nextDeadline() == model.values.map(\.deadline).min())
    }
}

