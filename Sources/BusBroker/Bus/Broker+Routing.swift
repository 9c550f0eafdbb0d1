// Routing
//
// Where each message a peer sends goes: the driver, one receiver, or every peer whose
// match rules want it, with copies for eavesdroppers and monitors.
import BusPlatform
import DBusWire

extension Broker {
    /// The bus driver's well-known name.
    static let driverName = "org.freedesktop.DBus"
    /// Bodies from this size on are forwarded without a copy in `rewriteBuffer`; below it one
    /// contiguous copy is cheaper than a second append.
    static let separateBodyMinimum = 16 * 1024

    /// Routes one validated message from `sender`. The message is rewritten once (SENDER
    /// set, unknown header fields dropped) into `rewriteBuffer` and copied from there into
    /// each receiver's output queue; nothing on this path allocates once buffers are warm.
    func route(_ message: MessageHeaderView, from sender: Peer) {
        switch sender.state {
        case .authenticating:
            preconditionFailure("messages are framed only after authentication")
        case .monitor:
            disconnect(sender, reason: "a monitor sent a message; monitors may only receive")
            return
        case .awaitingHello:
            if isHello(message) {
                driverHello(message, from: sender)
            } else {
                refuseBeforeHello(message, from: sender)
            }
            return
        case .active:
            break
        }
        guard let senderID = sender.id else { return }
        let destination = message.string(.destination)
        let toDriver = destination.map { $0 == "org.freedesktop.DBus" as StaticString } ?? false
        // A large body only one receiver sees skips `rewriteBuffer`: it is copied once, from
        // the sender's input buffer into the receiver's queue. Copies for observers need the
        // whole rewritten message in one place, so then it is rewritten whole.
        let separateBody = destination != nil && !toDriver && message.body.count >= Broker.separateBodyMinimum
            && eavesdropRuleCount == 0 && monitors.isEmpty
        let rewritten = sender.uniqueNameBytes.withUnsafeBytes { name in
            Result { () throws(WireError) in
                if separateBody {
                    try message.rewriteHeader(sender: name, into: &self.rewriteBuffer)
                } else {
                    try message.rewrite(sender: name, into: &self.rewriteBuffer)
                }
            }
        }
        if case .failure(let error) = rewritten {
            disconnect(sender, reason: "message cannot be forwarded: \(error)")
            return
        }
        if let destination {
            if toDriver {
                guard allowsDriverCall(message, from: sender, senderID: senderID) else {
                    processPendingDisconnects()
                    return
                }
                observe(rewrittenFrom: senderID, destination: nil)
                handleDriverCall(message, from: sender)
            } else {
                let body = separateBody ? message.body : UnsafeRawBufferPointer(start: nil, count: 0)
                routeUnicast(message, from: sender, senderID: senderID, destination: destination.bytes, body: body)
            }
        } else {
            broadcast(from: senderID, fds: sender)
        }
        processPendingDisconnects()
    }

    private func isHello(_ message: MessageHeaderView) -> Bool {
        guard message.type == .methodCall, let member = message.string(.member), member == "Hello" as StaticString,
              let destination = message.string(.destination), destination == "org.freedesktop.DBus" as StaticString
        else { return false }
        if let interface = message.string(.interface) { return interface == "org.freedesktop.DBus" as StaticString }
        return true
    }

    /// dbus-daemon answers anything before Hello with this error, then hangs up.
    private func refuseBeforeHello(_ message: MessageHeaderView, from peer: Peer) {
        if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
            let error = Message(
                type: .error, serial: takeDriverSerial(), flags: .noReplyExpected,
                errorName: "org.freedesktop.DBus.Error.AccessDenied", replySerial: message.serial,
                sender: Broker.driverName,
                body: [.string("Client tried to send a message other than Hello without being registered")])
            if let bytes = try? error.encoded() {
                bytes.withUnsafeBytes { peer.output.append($0) }
                flush(peer)
            }
        }
        let member = message.string(.member)?.string ?? message.string(.errorName)?.string ?? "?"
        disconnect(peer, reason: "sent \(member) to \(message.string(.destination)?.string ?? "(no destination)") before Hello")
    }

    // MARK: - Unicast

    /// `body` is empty when `rewriteBuffer` holds the whole message, else the body that
    /// follows the header there.
    private func routeUnicast(_ message: MessageHeaderView, from sender: Peer, senderID: PeerID, destination: UnsafeRawBufferPointer,
                              body: UnsafeRawBufferPointer) {
        guard let receiverID = resolve(destination), let receiver = peers[receiverID], !receiver.isClosed else {
            if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
                let name = String(decoding: destination, as: UTF8.self)
                sendError(to: senderID, replySerial: message.serial, name: "org.freedesktop.DBus.Error.ServiceUnknown",
                          message: "The name \(name) was not provided by any .service files")
            }
            return
        }
        if message.unixFDCount > 0 && !receiver.unixFDsNegotiated {
            if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
                sendError(to: senderID, replySerial: message.serial, name: "org.freedesktop.DBus.Error.NotSupported",
                          message: "Tried to send message with Unix file descriptors to a client that doesn't support that.")
            }
            return
        }
        let requestedReply = (message.type == .methodReturn || message.type == .error) && message.replySerial.map {
            replies.callee(of: ReplyKey(caller: receiverID, serial: $0)) == senderID
        } == true
        guard allowsUnicast(message, from: sender, senderID: senderID, to: receiver, receiverID: receiverID,
                            requestedReply: requestedReply)
        else { return }
        switch message.type {
        case .methodCall:
            if !message.flags.contains(.noReplyExpected) {
                do throws(ReplyTrackerError) {
                    try replies.expectReply(from: senderID, serial: message.serial, to: receiverID, deadline: replyDeadline())
                } catch {
                    logger.notice("\(sender.logName): \(error.logMessage)")
                    sendError(to: senderID, replySerial: message.serial, name: error.dbusErrorName, message: error.message)
                    return
                }
                armReplyTimer()
            }
        case .methodReturn, .error:
            // Only the callee of a pending call may answer it, and only once.
            guard let replySerial = message.replySerial,
                  replies.takeReply(from: senderID, to: receiverID, replySerial: replySerial) == .accepted
            else { return }
        case .signal:
            break
        }
        if !enqueueRewritten(for: receiver, fds: sender, count: message.unixFDCount, body: body) {
            if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
                _ = replies.takeReply(from: receiverID, to: senderID, replySerial: message.serial)
                sendError(to: senderID, replySerial: message.serial, name: "org.freedesktop.DBus.Error.LimitsExceeded",
                          message: "The maximum size of the message queue of \(receiverID.uniqueName) has been reached (max_outgoing_bytes=\(limits.maxOutgoingBytes))")
            }
        }
        observe(rewrittenFrom: senderID, destination: receiverID)
    }

    /// The peer that owns `name` (unique or well-known), from the bytes of a message.
    func resolve(_ name: UnsafeRawBufferPointer) -> PeerID? {
        if name.first == UInt8(ascii: ":") { return UniqueNameParser.peer(from: name) }
        return wellKnownOwners[NameKey(borrowing: name)]
    }

    // MARK: - Broadcast and copies

    /// Sends the rewritten message to every peer with a matching rule, then to monitors.
    private func broadcast(from senderID: PeerID, fds sender: Peer) {
        rewriteBuffer.bytes.withUnsafeBytes { bytes in
            guard let view = try? MessageHeaderView(validating: bytes, unixFDsReceived: sender.receivedDescriptors.count)
            else { return }
            matches.forEachRecipient(of: view, sender: senderID, destination: nil) { id in
                guard let receiver = peers[id], !receiver.isClosed, receiver.state.isActive else { return }
                if view.unixFDCount > 0 && !receiver.unixFDsNegotiated { return }
                guard allowsCopy(view, from: senderID, to: receiver, receiverID: id, eavesdropping: false) else { return }
                _ = enqueue(bytes, for: receiver, fds: sender, count: view.unixFDCount)
            }
            copyToMonitors(view, senderID: senderID, destination: nil)
        }
    }

    /// Gives eavesdroppers and monitors their copy of a message that went to `destination`
    /// (nil: the driver).
    func observe(rewrittenFrom senderID: PeerID, destination: PeerID?) {
        guard eavesdropRuleCount > 0 || !monitors.isEmpty else { return }
        rewriteBuffer.bytes.withUnsafeBytes { bytes in
            guard let view = try? MessageHeaderView(validating: bytes, unixFDsReceived: ProtocolLimits.maxUnixFDsPerMessage)
            else { return }
            if eavesdropRuleCount > 0 {
                matches.forEachRecipient(of: view, sender: senderID, destination: destination) { id in
                    guard id != destination, let receiver = peers[id], !receiver.isClosed, receiver.state.isActive else { return }
                    // Eavesdropped copies never carry fds: they belong to the addressed receiver.
                    if view.unixFDCount > 0 { return }
                    guard allowsCopy(view, from: senderID, to: receiver, receiverID: id, eavesdropping: true) else { return }
                    _ = enqueue(bytes, for: receiver, fds: nil, count: 0)
                }
            }
            copyToMonitors(view, senderID: senderID, destination: destination)
        }
    }

    func copyToMonitors(_ view: MessageHeaderView, senderID: PeerID?, destination: PeerID?) {
        for (id, rules) in monitors {
            guard let monitor = peers[id], !monitor.isClosed else { continue }
            let wanted = rules.isEmpty || rules.contains { rule in
                rule.matches(
                    view, senderMatches: { name in senderID.map { owns($0, name) } ?? (name == Broker.driverName) },
                    destinationMatches: { name in destination.map { $0.uniqueName == name || registry.owner(of: name) == $0 } ?? false })
            }
            if wanted { _ = enqueue(view.buffer, for: monitor, fds: nil, count: 0) }
        }
    }

    /// Whether `peer` is the primary owner of `name`, as match rules ask about senders.
    func owns(_ peer: PeerID, _ name: String) -> Bool {
        registry.owner(of: name) == peer
    }

    // MARK: - Queueing

    private func enqueueRewritten(for receiver: Peer, fds sender: Peer, count: Int, body: UnsafeRawBufferPointer) -> Bool {
        rewriteBuffer.bytes.withUnsafeBytes { bytes in enqueue(bytes, body: body, for: receiver, fds: sender, count: count) }
    }

    /// Appends a message (`bytes`, then `body` if any) to `receiver`'s queue with duplicates
    /// of `sender`'s first `count` fds. A receiver whose queue would pass `max_outgoing_bytes` or `max_outgoing_unix_fds`
    /// is not reading: it is disconnected (after the current walk) and false returned.
    @discardableResult
    func enqueue(_ bytes: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer = .init(start: nil, count: 0),
                 for receiver: Peer, fds sender: Peer?, count: Int) -> Bool {
        let queuedBytes = receiver.output.queuedBytes
        let length = bytes.count + body.count
        if queuedBytes + length > limits.maxOutgoingBytes {
            condemn(receiver, "its outgoing queue holds \(queuedBytes) bytes and a \(length)-byte message would pass max_outgoing_bytes=\(limits.maxOutgoingBytes)")
            return false
        }
        if count > 0 {
            let queuedFDs = receiver.output.queuedDescriptors
            if queuedFDs + count > limits.maxOutgoingUnixFDs {
                condemn(receiver, "its outgoing queue holds \(queuedFDs) fds and \(count) more would pass max_outgoing_unix_fds=\(limits.maxOutgoingUnixFDs)")
                return false
            }
        }
        var duplicates: [CInt] = []
        if count > 0, let sender {
            duplicates.reserveCapacity(count)
            for index in 0..<count {
                let copy = duplicateDescriptor(sender.receivedDescriptors.rawValue(at: index))
                guard copy >= 0 else {
                    for made in duplicates { _ = closeDescriptor(made) }
                    logger.warning("cannot duplicate an fd for \(receiver.logName): errno \(currentErrno())")
                    return false
                }
                duplicates.append(copy)
            }
        }
        receiver.output.append(bytes, body: body, fds: duplicates)
        if let sender { chargeInFlight(sender, to: receiver, bytes: length, fds: count) }
        scheduleFlush(receiver)
        return true
    }

    private func condemn(_ receiver: Peer, _ reason: String) {
        guard !pendingDisconnects.contains(where: { $0.0 === receiver }) else { return }
        pendingDisconnects.append((receiver, reason))
    }
}

extension PeerState {
    var isActive: Bool {
        if case .active = self { return true }
        return false
    }
}
