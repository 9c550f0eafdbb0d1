// Broker Limits Enforcement
//
// The connection limits of `<limit>` and the per-user shares, checked where a connection
// or a name is taken and released where it is freed.
import BusPlatform
import DBusWire

extension Broker {
    // MARK: - Incomplete connections

    /// A connection was accepted and has not said Hello yet. At `max_incomplete_connections`
    /// the listeners stop accepting (the kernel's backlog holds the rest), as dbus-daemon
    /// does since fd.o #80919, rather than accepting and dropping.
    func incompleteConnectionOpened() {
        incompleteConnections += 1
        if incompleteConnections >= limits.maxIncompleteConnections && !listenersPaused {
            logger.warning("\(incompleteConnections) connections are authenticating (max_incomplete_connections=\(limits.maxIncompleteConnections)): accepting no more until one completes or leaves")
            setListenersAccepting(false)
        }
    }

    /// A connection stopped being incomplete: it said Hello or it ended.
    func incompleteConnectionClosed() {
        incompleteConnections -= 1
        if listenersPaused && incompleteConnections < limits.maxIncompleteConnections {
            setListenersAccepting(true)
        }
    }

    /// Whether the listeners should take new connections now.
    var acceptsConnections: Bool { !listenersPaused }

    private func setListenersAccepting(_ accepting: Bool) {
        listenersPaused = !accepting
        for listener in listeners {
            guard let registration = listener.registration else { continue }
            do {
                try loop.setInterest(accepting ? .readable : [], for: registration)
            } catch {
                logger.error("cannot \(accepting ? "resume" : "pause") accepting on a listener: \(error)")
            }
        }
    }

    // MARK: - Completed connections

    /// Why `Hello` from `peer` must fail, or nil. As in dbus-daemon the connection is not
    /// dropped: it may retry Hello, and `auth_timeout` ends it if it never completes.
    func helloRefusal(for peer: Peer) -> AccountingError? {
        if peers.count >= limits.maxCompletedConnections {
            return .tooManyConnections(open: peers.count, limit: limits.maxCompletedConnections)
        }
        let uid = UInt32(peer.identity.process.userID)
        let open = accounting.connectionCount(of: uid)
        if open >= limits.maxConnectionsPerUser {
            return .tooManyConnectionsForUser(uid: uid, open: open, limit: limits.maxConnectionsPerUser)
        }
        return nil
    }

    /// Answers a refused `Hello` with LimitsExceeded. The peer has no unique name, so the
    /// error goes straight to its queue, not through `sendFromDriver`.
    func refuseHello(_ view: MessageHeaderView, from peer: Peer, because refusal: AccountingError) {
        logger.warning("refusing Hello from \(peer.logName): \(refusal.logMessage)")
        guard !view.flags.contains(.noReplyExpected) else { return }
        let error = Message(
            type: .error, serial: takeDriverSerial(), flags: .noReplyExpected,
            errorName: refusal.dbusErrorName, replySerial: view.serial,
            sender: Broker.driverName, body: [.string(refusal.message)])
        guard let bytes = try? error.encoded() else { return }
        bytes.withUnsafeBytes { _ = enqueue($0, for: peer, fds: nil, count: 0) }
    }

    /// Charges a connection that completed Hello to its user.
    func connectionCompleted(_ peer: Peer, id: PeerID) {
        accounting.connectionCompleted(id, uid: UInt32(peer.identity.process.userID))
        incompleteConnectionClosed()
    }

    /// Releases what a closing connection held in the accounts.
    func connectionEnded(_ peer: Peer) {
        if let id = peer.id {
            accounting.connectionEnded(id, uid: UInt32(peer.identity.process.userID))
        } else {
            incompleteConnectionClosed()
        }
    }

    // MARK: - Names per user

    /// Why `caller` may not queue for one more well-known name, or nil: its user's
    /// connections together hold `max_names_per_user` (unique names not counted).
    func userNameQuotaRefusal(for caller: PeerID) -> AccountingError? {
        guard let peer = peers[caller] else { return nil }
        let uid = UInt32(peer.identity.process.userID)
        let limit = limits.maxNamesPerUser
        var held = 0
        for connection in accounting.connections(of: uid) {
            held += max(0, registry.nameCount(of: connection) - 1)
        }
        guard held >= limit else { return nil }
        return .tooManyNamesForUser(peer: caller, uid: uid, held: held, limit: limit)
    }
}

// MARK: - Pending fds

extension Broker {
    /// `peer` now holds fds whose message has not fully arrived, or no longer does. fds
    /// held longer than `pending_fd_timeout` end the connection with dbus-daemon's log
    /// text: a peer must not pin descriptors in the broker by never finishing a message.
    func descriptorsPendingChanged(_ peer: Peer) {
        guard peer.receivedDescriptors.count > 0 else {
            peer.descriptorsPendingSince = nil
            return
        }
        peer.descriptorsPendingSince = MonotonicInstant.now().nanoseconds
        armPendingDescriptorTimer(for: peer, after: UInt64(limits.pendingFDTimeout) * 1_000_000)
    }

    private func armPendingDescriptorTimer(for peer: Peer, after delay: UInt64) {
        guard !peer.isPendingDescriptorTimerArmed else { return }
        peer.isPendingDescriptorTimerArmed = true
        loop.addTimer(after: .nanoseconds(Int64(delay))) { [weak self, weak peer] _ in
            guard let self, let peer, !peer.isClosed else { return }
            peer.isPendingDescriptorTimerArmed = false
            // Nothing held any more (whatever path consumed them): nothing to time out.
            guard let since = peer.descriptorsPendingSince, peer.receivedDescriptors.count > 0 else {
                peer.descriptorsPendingSince = nil
                return
            }
            let timeout = UInt64(self.limits.pendingFDTimeout) * 1_000_000
            let held = MonotonicInstant.now().nanoseconds - since
            if held >= timeout {
                self.disconnect(peer, reason: "Connection \"\(peer.id?.uniqueName ?? "(null)")\" has had Unix fds pending for too long, closing it (pending_fd_timeout=\(self.limits.pendingFDTimeout) ms)")
                self.flushPending()
            } else {
                // The fds pending now arrived after the ones this timer was armed for.
                self.armPendingDescriptorTimer(for: peer, after: timeout - held)
            }
        }
    }
}

// MARK: - Incoming bytes and fds

extension Broker {
    /// Charges a message just queued for `receiver` to its `sender`. At `max_incoming_bytes`
    /// or `max_incoming_unix_fds` the sender stops being read, as dbus-daemon stops reading
    /// a connection whose live messages reach those limits; its socket buffer then fills and
    /// its own writes block, which is the back-pressure the limit exists for.
    func chargeInFlight(_ sender: Peer, to receiver: Peer, bytes: Int, fds: Int) {
        receiver.charges.charge(sender, end: receiver.output.totalAppended, bytes: bytes, fds: fds)
        sender.inFlightBytes += bytes
        sender.inFlightFDs += fds
        if !sender.isReadThrottled && isOverIncomingLimits(sender) {
            sender.isReadThrottled = true
            if !sender.hasBeenThrottled {
                sender.hasBeenThrottled = true
                logger.notice("\(sender.logName) is not read until its queued messages drain: \(sender.inFlightBytes) bytes and \(sender.inFlightFDs) fds of them wait for receivers (max_incoming_bytes=\(limits.maxIncomingBytes), max_incoming_unix_fds=\(limits.maxIncomingUnixFDs))")
            }
            updateInterest(sender)
        }
    }

    /// Releases the charges of what `receiver` has written (everything, when it is gone),
    /// and reads again from senders that fell below the limits.
    func releaseInFlight(of receiver: Peer, all: Bool = false) {
        let written = all ? UInt64.max : receiver.output.totalWritten
        receiver.charges.release(upTo: written) { sender, bytes, fds in
            sender.inFlightBytes -= bytes
            sender.inFlightFDs -= fds
            if sender.isReadThrottled && !isOverIncomingLimits(sender) {
                sender.isReadThrottled = false
                updateInterest(sender)
                resumeHeldCommands(of: sender)  // kdbus hook: its command ring, like its socket
            }
        }
    }

    private func isOverIncomingLimits(_ peer: Peer) -> Bool {
        peer.inFlightBytes >= limits.maxIncomingBytes || peer.inFlightFDs >= limits.maxIncomingUnixFDs
    }

    /// Watches `peer` for what it needs now: input unless throttled, output while queued.
    func updateInterest(_ peer: Peer) {
        guard !peer.isClosed, let registration = peer.registration else { return }
        var interest: IOEvents = peer.isReadThrottled ? [] : .readable
        if peer.isWaitingToWrite { interest.insert(.writable) }
        do {
            try loop.setInterest(interest, for: registration)
        } catch {
            condemnLater(peer, "cannot watch its socket: \(error)")
        }
    }

    /// Disconnects `peer` after the current walk (interest changes happen mid-routing).
    private func condemnLater(_ peer: Peer, _ reason: String) {
        guard !pendingDisconnects.contains(where: { $0.0 === peer }) else { return }
        pendingDisconnects.append((peer, reason))
    }
}
