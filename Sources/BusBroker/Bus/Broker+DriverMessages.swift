// Driver Messages
//
// How the bus sends its own messages: replies, errors, and the name signals, each
// delivered like any other message (monitors and eavesdroppers see them too).
import BusPlatform
import DBusWire

extension Broker {
    func takeDriverSerial() -> UInt32 {
        let serial = nextDriverSerial
        nextDriverSerial = nextDriverSerial == .max ? 1 : nextDriverSerial + 1
        return serial
    }

    /// Sends a message from `org.freedesktop.DBus`: to its destination if it has one,
    /// otherwise to every peer whose rules match; `fds` go with it (owned by the callee now).
    func sendFromDriver(_ message: Message, fds: [CInt] = []) {
        kdbusState.sequence &+= 1
        let routing = kdbusState.suspendSenderContext()  // kdbus hook: the bus's own priority and no memfd parts
        defer { kdbusState.resume(routing) }
        // kdbus metadata hook: a message from the bus itself, sent while routing a peer's.
        let routed = metadataContext.saved
        metadataContext.begin(sequence: kdbusState.sequence)
        defer { metadataContext = routed }
        var message = message
        message.sender = Broker.driverName
        message.serial = takeDriverSerial()
        message.unixFDCount = fds.count
        let bytes: [UInt8]
        do throws(WireError) {
            bytes = try message.encoded()
        } catch {
            logger.error("cannot encode a driver message (\(message.member ?? message.errorName ?? "?")): \(error)")
            for fd in fds { closeDescriptor(fd) }
            return
        }
        let destination = message.destination.flatMap { PeerID(uniqueName: $0) }
        bytes.withUnsafeBytes { raw in
            guard let view = try? MessageHeaderView(validating: raw, unixFDsReceived: fds.count) else { return }
            if let destination {
                if let receiver = peers[destination], !receiver.isClosed,
                   allowsFromBus(view, to: receiver, eavesdropping: false) {
                    deliverDriverMessage(raw, to: receiver, fds: fds)
                } else {
                    for fd in fds { closeDescriptor(fd) }
                }
            } else {
                matches.forEachRecipient(of: view, sender: nil, destination: nil) { id in
                    guard let receiver = peers[id], !receiver.isClosed, receiver.state.isActive,
                          allowsFromBus(view, to: receiver, eavesdropping: false) else { return }
                    enqueue(raw, for: receiver, fds: nil, count: 0)
                }
            }
            if eavesdropRuleCount > 0 && destination != nil {
                matches.forEachRecipient(of: view, sender: nil, destination: destination) { id in
                    guard id != destination, let receiver = peers[id], !receiver.isClosed, receiver.state.isActive,
                          fds.isEmpty, allowsFromBus(view, to: receiver, eavesdropping: true) else { return }
                    enqueue(raw, for: receiver, fds: nil, count: 0)
                }
            }
            copyToMonitors(view, senderID: nil, destination: destination)
        }
        processPendingDisconnects()
    }

    /// Driver messages to a peer pass the same queue limits as any other.
    private func deliverDriverMessage(_ bytes: UnsafeRawBufferPointer, to receiver: Peer, fds: [CInt]) {
        if receiver.kdbus != nil {  // kdbus hook: into the receiver's pool
            if !deliverToPool(bytes, body: .init(start: nil, count: 0), to: receiver, ownedFDs: fds, isUnicast: true) {
                logger.warning("\(receiver.logName): a message from the bus was dropped: its receive pool is full")
            }
            return
        }
        if receiver.output.queuedBytes + bytes.count > limits.maxOutgoingBytes {
            for fd in fds { closeDescriptor(fd) }
            pendingDisconnects.append((receiver, "its outgoing queue holds \(receiver.output.queuedBytes) bytes and a \(bytes.count)-byte message from the bus would pass max_outgoing_bytes=\(limits.maxOutgoingBytes)"))
            return
        }
        receiver.output.append(bytes, fds: fds)
        scheduleFlush(receiver)
    }

    /// Replies to `call` (sent by `caller`) with `body`.
    func reply(to serial: UInt32, of caller: PeerID, body: [DBusValue] = [], fds: [CInt] = []) {
        sendFromDriver(
            Message(type: .methodReturn, flags: .noReplyExpected, replySerial: serial,
                    destination: caller.uniqueName, body: body),
            fds: fds)
    }

    func sendError(to caller: PeerID, replySerial: UInt32, name: String, message text: String) {
        sendFromDriver(
            Message(type: .error, flags: .noReplyExpected, errorName: name, replySerial: replySerial,
                    destination: caller.uniqueName, body: [.string(text)]))
    }

    func sendNoReply(to caller: PeerID, replySerial: UInt32, reason: NoReplyReason) {
        sendError(to: caller, replySerial: replySerial, name: NoReplyReason.errorName, message: reason.message)
    }

    /// Sends the signals of a name change in order, keeping the owner table in step.
    func emit(_ events: [NameEvent]) {
        for event in events {
            switch event {
            case .ownerChanged(let change):
                if change.name.utf8.first != UInt8(ascii: ":") {
                    wellKnownOwners[NameKey(change.name)] = change.newOwner
                    updateSenderNames(change)  // kdbus metadata hook
                    matches.nameOwnerChanged(change)
                }
                sendFromDriver(
                    .signal(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged",
                            body: [.string(change.name), .string(change.oldOwner?.uniqueName ?? ""),
                                   .string(change.newOwner?.uniqueName ?? "")]))
            case .lost(let name, let peer):
                sendNameSignal("NameLost", name: name, to: peer)
            case .acquired(let name, let peer):
                sendNameSignal("NameAcquired", name: name, to: peer)
            }
        }
        // Activation hook: a name taken by a service being started releases its waiters.
        activationsCompleted(by: events)
    }

    private func sendNameSignal(_ member: String, name: String, to peer: PeerID) {
        guard let receiver = peers[peer], !receiver.isClosed, receiver.state.isActive else { return }
        sendFromDriver(
            .signal(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: member,
                    destination: peer.uniqueName, body: [.string(name)]))
    }

    // MARK: - Reply timeouts

    /// The deadline for a call made now, or nil when `reply_timeout` is unset.
    func replyDeadline() -> UInt64? {
        guard let timeout = limits.replyTimeout else { return nil }
        return MonotonicInstant.now().nanoseconds + UInt64(timeout) * 1_000_000
    }

    /// Arms one loop timer for the earliest pending deadline. With one timeout for every
    /// call, later calls never move the earliest deadline, so this costs a timer per expiry
    /// rather than per call.
    func armReplyTimer() {
        guard let next = replies.nextDeadline() else { return }
        if let armed = armedReplyDeadline, armed <= next { return }
        armedReplyDeadline = next
        loop.addTimer(at: MonotonicInstant(nanoseconds: next)) { [target = timerTarget] _ in
            guard let self = target.liveBroker else { return }
            self.armedReplyDeadline = nil
            for pending in self.replies.expired(now: MonotonicInstant.now().nanoseconds) {
                self.sendNoReply(to: pending.key.caller, replySerial: pending.key.serial, reason: .timedOut)
            }
            self.armReplyTimer()
            self.flushPending()
        }
    }
}
