// Routing
//
// Where each message a peer sends goes: the driver, one receiver, or every peer whose
// match rules want it, with copies for eavesdroppers and monitors.
import BusPlatform
import DBusWire

extension Broker {
    /// The bus driver's well-known name.
    static let driverName = "org.freedesktop.DBus"
    /// A forwarded body from this size on is handed over with its sender's input buffer,
    /// when that buffer holds the message alone, instead of copied (`enqueueForwarded`).
    static let handOverMinimum = 16 * 1024
    /// The most a SENDER field adds to a header: code, signature, length, a name of up to
    /// 255 bytes, its NUL, and padding to 8.
    static let senderFieldMaximum = 8 + 255 + 1 + 7

    /// Routes one validated message from `sender`. A unicast that no eavesdropper or
    /// monitor sees is rewritten (SENDER set, unknown header fields dropped) straight into
    /// its receiver's output queue; anything else is rewritten once into `rewriteBuffer`
    /// and copied from there to each receiver. Nothing on this path allocates once buffers
    /// are warm.
    func route(_ message: MessageHeaderView, from sender: Peer) {
        let routing = kdbusState.enter(from: sender)  // kdbus hook: sequence number and sender for slices
        defer { kdbusState.leave(restoring: routing) }
        metadataContext.begin(sequence: kdbusState.sequence)  // kdbus metadata hook: a new receipt time
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
        if message.limits != .specification {  // kdbus: past D-Bus's limits, for pool receivers only
            routeOversized(message, from: sender, senderID: senderID)
            processPendingDisconnects()
            return
        }
        let destination = message.string(.destination)
        let toDriver = destination.map { $0 == "org.freedesktop.DBus" as StaticString } ?? false
        // Copies for observers and broadcasts need the whole rewritten message in one place.
        let direct = destination != nil && !toDriver && eavesdropRuleCount == 0 && monitors.isEmpty
        if direct {
            guard fitsRewritten(message, from: sender) else { return }
        } else {
            let rewritten = sender.uniqueNameBytes.withUnsafeBytes { name in
                Result { () throws(WireError) in try message.rewrite(sender: name, into: &self.rewriteBuffer) }
            }
            if case .failure(let error) = rewritten {
                disconnect(sender, reason: "message cannot be forwarded: \(error)")
                return
            }
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
                routeUnicast(message, from: sender, senderID: senderID, destination: destination.bytes, direct: direct)
            }
        } else {
            broadcast(from: senderID, fds: sender)
        }
        processPendingDisconnects()
    }

    /// False, after disconnecting `sender`, when `message` with its SENDER set would pass the
    /// length it was validated against: a direct unicast is rewritten by the unchecked writer.
    @inline(__always)
    func fitsRewritten(_ message: MessageHeaderView, from sender: Peer) -> Bool {
        let limit = message.limits.maxMessageLength
        // Rewriting adds at most a SENDER field; only a message near the limit needs the exact sum.
        guard message.buffer.count + Broker.senderFieldMaximum > limit else { return true }
        let length = message.rewrittenHeaderLength(senderLength: sender.uniqueNameBytes.count) + message.body.count
        guard length > limit else { return true }
        disconnect(sender, reason: "message cannot be forwarded: \(WireError(.messageTooLong(length, limit: limit), at: 0))")
        return false
    }

    /// Rewrites `message` whole into `rewriteBuffer`; false (nothing written) if it cannot be.
    private func rewriteWhole(_ message: MessageHeaderView, from sender: Peer) -> Bool {
        let rewritten = sender.uniqueNameBytes.withUnsafeBytes { name in
            Result { () throws(WireError) in try message.rewrite(sender: name, into: &self.rewriteBuffer) }
        }
        if case .success = rewritten { return true }
        return false
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
                bytes.withUnsafeBytes { _ = enqueue($0, for: peer, fds: nil, count: 0, isUnicast: true) }
                flush(peer)
            }
        }
        let member = message.string(.member)?.string ?? message.string(.errorName)?.string ?? "?"
        disconnect(peer, reason: "sent \(member) to \(message.string(.destination)?.string ?? "(no destination)") before Hello")
    }

    // MARK: - Unicast

    /// `direct`: the message goes only to its receiver, written straight into its queue;
    /// otherwise `rewriteBuffer` holds it rewritten.
    func routeUnicast(_ message: MessageHeaderView, from sender: Peer, senderID: PeerID, destination: UnsafeRawBufferPointer,
                      direct: Bool) {
        guard let receiverID = resolve(destination), let receiver = peers[receiverID], !receiver.isClosed else {
            // Activation hook: an activatable name with no owner holds the message and starts its
            // service. It takes the message rewritten in `rewriteBuffer`, which a direct unicast
            // has not needed until now (route() checked its length; the sender's name is ours).
            if !direct || rewriteWhole(message, from: sender),
                holdForActivation(message, from: sender, senderID: senderID, destination: destination,
                                  body: UnsafeRawBufferPointer(start: nil, count: 0)) { return }
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
        // Only the policy asks whether a reply was requested: with no restricted peer (a
        // session bus) the reply tracker is not consulted twice for every reply.
        let requestedReply = !restrictedPeers.isEmpty && (message.type == .methodReturn || message.type == .error) && message.replySerial.map {
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
        let delivery = direct
            ? enqueueForwarded(message, for: receiver, from: sender)
            : Delivery(queued: enqueueRewritten(for: receiver, fds: sender, count: message.unixFDCount))
        switch delivery {
        case .queued:
            break
        case .refused:
            if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
                _ = replies.takeReply(from: receiverID, to: senderID, replySerial: message.serial)
                sendError(to: senderID, replySerial: message.serial, name: "org.freedesktop.DBus.Error.LimitsExceeded",
                          message: queueFullText(for: receiver, id: receiverID))
            }
        case .rejected:
            // Its sender is being disconnected: no error to it, no observer sees it.
            _ = replies.takeReply(from: receiverID, to: senderID, replySerial: message.serial)
            return
        }
        // A direct unicast has no observers (route() chose it so), or is past D-Bus's limits,
        // which no observer takes: `rewriteBuffer` does not hold it.
        if !direct { observe(rewrittenFrom: senderID, destination: receiverID) }
    }

    /// The peer that owns `name` (unique or well-known), from the bytes of a message.
    func resolve(_ name: UnsafeRawBufferPointer) -> PeerID? {
        if name.first == UInt8(ascii: ":") { return UniqueNameParser.peer(from: name) }
        return wellKnownOwners[NameKey(borrowing: name)]
    }

    // MARK: - Broadcast and copies

    /// Sends the rewritten message to every peer with a matching rule, then to monitors.
    private func broadcast(from senderID: PeerID, fds sender: Peer) {
        rewriteBuffer.bytes.withUnsafeBytes { bytes in broadcast(bytes, from: senderID, fds: sender) }
    }

    /// Sends `bytes`, a message rewritten for forwarding, to every peer with a matching rule,
    /// then to monitors. With `limits` past D-Bus's (kdbus, §8) only pool receivers can take
    /// it: classic ones and monitors are skipped, and the count is logged.
    func broadcast(_ bytes: UnsafeRawBufferPointer, from senderID: PeerID, fds sender: Peer,
                   limits: MessageSizeLimits = .specification) {
        guard let view = try? MessageHeaderView(validating: bytes, unixFDsReceived: sender.receivedDescriptors.count, limits: limits)
        else { return }
        let classicOnly = limits == .specification
        var skipped = 0
        matches.forEachRecipient(of: view, sender: senderID, destination: nil) { id in
            guard let receiver = peers[id], !receiver.isClosed, receiver.state.isActive else { return }
            if view.unixFDCount > 0 && !receiver.unixFDsNegotiated { return }
            guard allowsCopy(view, from: senderID, to: receiver, receiverID: id, eavesdropping: false) else { return }
            guard classicOnly || receiver.kdbus != nil else {
                skipped += 1
                return
            }
            _ = enqueue(bytes, for: receiver, fds: sender, count: view.unixFDCount)
        }
        if classicOnly {
            copyToMonitors(view, senderID: senderID, destination: nil)
        } else if skipped > 0 || !monitors.isEmpty {
            logger.notice("\(senderID.uniqueName): a \(bytes.count)-byte signal past D-Bus's limits reached pool receivers only; \(skipped) classic receiver(s) and \(monitors.count) monitor(s) did not get it")
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

    private func enqueueRewritten(for receiver: Peer, fds sender: Peer, count: Int) -> Bool {
        rewriteBuffer.bytes.withUnsafeBytes { bytes in enqueue(bytes, for: receiver, fds: sender, count: count, isUnicast: true) }
    }

    /// Writes `message`, rewritten for forwarding, straight into `receiver`'s queue with
    /// duplicates of its fds: the only copy of a small message the broker makes. A large
    /// body whose sender's input buffer holds that message alone is not copied at all: the
    /// buffer is handed to the queue (`InputBuffer.takeStorage`). `.refused` where `enqueue`
    /// returns false.
    private func enqueueForwarded(_ message: MessageHeaderView, for receiver: Peer, from sender: Peer) -> Delivery {
        if receiver.kdbus != nil { return forwardToPool(message, for: receiver, from: sender) }  // kdbus hook
        let headerLength = message.rewrittenHeaderLength(senderLength: sender.uniqueNameBytes.count)
        guard admits(headerLength + message.body.count, fds: message.unixFDCount, for: receiver),
              let duplicates = duplicates(of: sender, count: message.unixFDCount, for: receiver)
        else { return .refused }
        let storage = message.body.count >= Broker.handOverMinimum ? sender.input.takeStorage(holding: message.buffer) : nil
        sender.uniqueNameBytes.withUnsafeBytes { name in
            receiver.output.appendForwarded(message, sender: name, headerLength: headerLength, bodyIn: storage, fds: duplicates)
        }
        chargeInFlight(sender, to: receiver, bytes: headerLength + message.body.count, fds: message.unixFDCount)
        scheduleFlush(receiver)
        return .queued
    }

    /// Appends a message to `receiver`'s queue with duplicates of `sender`'s first `count`
    /// fds. A receiver whose queue would pass `max_outgoing_bytes` or `max_outgoing_unix_fds`
    /// is not reading: it is disconnected (after the current walk) and false returned.
    /// A kdbus receiver gets the message in its pool instead (`isUnicast`: whether it is
    /// addressed to it, which decides what a full pool means).
    @discardableResult
    func enqueue(_ bytes: UnsafeRawBufferPointer, for receiver: Peer, fds sender: Peer?, count: Int, isUnicast: Bool = false) -> Bool {
        if receiver.kdbus != nil {  // kdbus hook
            return deliverToPool(bytes, body: .init(start: nil, count: 0), to: receiver, fds: sender, count: count, isUnicast: isUnicast)
        }
        guard admits(bytes.count, fds: count, for: receiver), let duplicates = duplicates(of: sender, count: count, for: receiver)
        else { return false }
        receiver.output.append(bytes, fds: duplicates)
        if let sender { chargeInFlight(sender, to: receiver, bytes: bytes.count, fds: count) }
        scheduleFlush(receiver)
        return true
    }

    /// Whether `receiver`'s queue may take `length` more bytes and `count` more fds;
    /// if not, the receiver is condemned.
    private func admits(_ length: Int, fds count: Int, for receiver: Peer) -> Bool {
        let queuedBytes = receiver.output.queuedBytes
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
        return true
    }

    /// Duplicates of `sender`'s first `count` received fds for `receiver` (empty, with no
    /// allocation, when `count` is 0); nil, with none left open, when one cannot be made.
    private func duplicates(of sender: Peer?, count: Int, for receiver: Peer) -> [CInt]? {
        var duplicates: [CInt] = []
        guard count > 0, let sender else { return duplicates }
        duplicates.reserveCapacity(count)
        for index in 0..<count {
            let copy = duplicateDescriptor(sender.receivedDescriptors.rawValue(at: index))
            guard copy >= 0 else {
                for made in duplicates { _ = closeDescriptor(made) }
                logger.warning("cannot duplicate an fd for \(receiver.logName): errno \(currentErrno())")
                return nil
            }
            duplicates.append(copy)
        }
        return duplicates
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
