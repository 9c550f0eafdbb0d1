// KDBus Command Ring: a client's SEND and FREE entries, read from its arena on a doorbell.
import BusPlatform
import DBusWire

extension Broker {
    /// Starts watching `peer`'s to-broker doorbell (after ARENA): its second registration.
    func watchDoorbell(of peer: Peer, connection: KDBusConnection) {
        do throws(Errno) {
            connection.doorbellRegistration = try loop.register(
                connection.fromClient.descriptor, interest: EdgeTriggeredDoorbell.interest, handler: KDBusDoorbellWatch(peer: peer))
        } catch {
            disconnect(peer, reason: "cannot watch its kdbus doorbell: \(error)")
        }
    }

    /// Stops watching the doorbell; part of disconnecting an upgraded peer.
    func unwatchDoorbell(of peer: Peer) {
        guard let connection = peer.kdbus, let registration = connection.doorbellRegistration else { return }
        try? loop.deregister(registration)
        connection.doorbellRegistration = nil
    }

    /// The client rang: resume RECVs that waited for ring space and carry out command entries
    /// (at most `KDBusConnection.entriesPerWake`; the rest resume on a timer, as an
    /// edge-triggered doorbell reports no ring twice). Nothing is read: the eventfd needs no
    /// draining (`EdgeTriggeredDoorbell`). It never hangs up while the broker holds it; an
    /// error ends the connection after the published entries, as a hang-up of the socket does.
    func doorbellRang(_ peer: Peer, events: IOEvents) {
        guard !peer.isClosed, let connection = peer.kdbus else { return }
        let hungUp = !events.isDisjoint(with: .hangup) || events.contains(.error)
        if connection.waitsForReceiveSpace {
            connection.clearReceiveSpaceWait()
            scheduleFlush(peer)
        }
        consumeCommands(of: peer, connection: connection, budget: hungUp ? Int.max : KDBusConnection.entriesPerWake)
        if hungUp { disconnect(peer, reason: nil) }
        flushPending()
    }

    /// A throttled sender's commands wait (as a classic sender's socket is not read) until
    /// its in-flight messages drop below `max_incoming_*`; then they resume on the next turn.
    func resumeHeldCommands(of peer: Peer) {
        guard let connection = peer.kdbus, connection.commandsHeldByThrottle else { return }
        connection.commandsHeldByThrottle = false
        resumeCommandsLater(of: peer)
    }

    private func resumeCommandsLater(of peer: Peer) {
        loop.addTimer(after: .zero) { [weak self, peer] _ in
            guard let self, !peer.isClosed, let connection = peer.kdbus else { return }
            self.consumeCommands(of: peer, connection: connection, budget: KDBusConnection.entriesPerWake)
            self.flushPending()
        }
    }

    /// Carries out the command ring's pending entries, up to `budget`, per the consumer
    /// rule of docs/kdbus-transport.md §4: load the tail once, check it, copy out and carry
    /// out each entry, store the head, fence, load the tail again. Left over work (budget
    /// spent) resumes on a zero-delay timer, after other peers' events.
    func consumeCommands(of peer: Peer, connection: KDBusConnection, budget: Int) {
        var budget = budget
        var tail = connection.loadCommandTail()
        while !peer.isClosed, let seen = tail {
            let head = connection.commandHead
            guard let pending = RecordRing.pending(head: head, tail: seen) else {
                disconnect(peer, reason: "kdbus command ring: commandTail = \(seen) with commandHead = \(head); the tail must be 0...\(RecordRing.entries) entries ahead of the head")
                return
            }
            if pending == 0 { return }
            let throttles = budget != Int.max  // a hang-up's last pass is not held back
            if throttles && peer.isReadThrottled {
                connection.commandsHeldByThrottle = true
                return
            }
            let end = head + UInt64(min(pending, budget))
            for index in head..<end {
                carryOutEntry(index, from: peer, connection: connection)
                if peer.isClosed { return }
                connection.commandHead = index + 1
                if throttles && peer.isReadThrottled { break }
            }
            let done = connection.commandHead
            budget -= Int(done - head)
            tail = connection.finishCommandPass(head: done)
            // SENDs claimed FDS descriptors: that ends a pending-fd period as a classic message does.
            peer.checkDescriptorsPending()
            if throttles && peer.isReadThrottled {
                connection.commandsHeldByThrottle = true
                return
            }
            if budget == 0, tail != done {
                resumeCommandsLater(of: peer)
                return
            }
        }
    }

    /// Copies command entry `index` out of the arena (read once), decodes it with the
    /// record decoder, checks it is a command and that the descriptors it claims arrived in
    /// FDS records, and carries it out.
    private func carryOutEntry(_ index: UInt64, from peer: Peer, connection: KDBusConnection) {
        let at = KDBusRecordPlace(commandEntry: index)
        let record: KDBusRecord
        do throws(KDBusRecordError) {
            record = try KDBusRecord.decodeEntry(from: .clientToBroker) { connection.copyCommandEntry(index, into: $0) }
        } catch {
            disconnect(peer, reason: "\(at): \(error)")
            return
        }
        switch record {
        case .send(let send):
            let claimed = Int(send.fdCount) + Int(send.memfdCount)
            guard claimDescriptors(claimed, for: peer, connection: connection, at: at) else { return }
        case .free: break
        default:
            disconnect(peer, reason: "\(at): \(record.kind) in the command ring; it carries only SEND and FREE")
            return
        }
        handle(record, from: peer, connection: connection, at: at)
    }

    /// A SEND claims `count` descriptors from those FDS records delivered. The client sends
    /// the FDS record before it publishes the entry, so if they are not here yet the
    /// socket is read once more (non-blocking); still missing is a protocol error.
    private func claimDescriptors(_ count: Int, for peer: Peer, connection: KDBusConnection, at: KDBusRecordPlace) -> Bool {
        guard count > 0 else { return true }
        if connection.unclaimedDescriptors < count || peer.receivedDescriptors.count < count {
            _ = peer.readAndProcessOnce()
            if peer.isClosed { return false }
        }
        guard connection.unclaimedDescriptors >= count, peer.receivedDescriptors.count >= count else {
            disconnect(peer, reason: "\(at): SEND claims \(count) descriptors, FDS records delivered \(connection.unclaimedDescriptors) (\(peer.receivedDescriptors.count) received)")
            return false
        }
        connection.unclaimedDescriptors -= count
        return true
    }
}
