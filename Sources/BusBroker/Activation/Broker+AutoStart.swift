// Auto-Start
//
// A message to an activatable name nobody owns is held while the bus starts the service,
// then delivered as if sent at that moment (policy checked against the new owner).
import BusPlatform
import DBusWire

extension Broker {
    /// Holds `message` (rewritten in `rewriteBuffer`, `body` after it when separate) for
    /// `destination`, a well-known name with no owner, and starts its service. A message
    /// that says NO_AUTO_START gets dbus-daemon's NameHasNoOwner instead. Returns false when
    /// the name is not activatable: the caller then answers ServiceUnknown as before. Not on
    /// the hot path: only messages to names without an owner get here.
    func holdForActivation(_ message: MessageHeaderView, from sender: Peer, senderID: PeerID,
                           destination: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) -> Bool {
        let name = String(decoding: destination, as: UTF8.self)
        let wantsReply = message.type == .methodCall && !message.flags.contains(.noReplyExpected)
        if message.flags.contains(.noAutoStart) {
            if wantsReply {
                sendError(to: senderID, replySerial: message.serial, name: "org.freedesktop.DBus.Error.NameHasNoOwner",
                          message: "Name \"\(name)\" does not exist")
            }
            return true
        }
        guard destination.first != UInt8(ascii: ":"), let service = serviceFile(for: name) else { return false }
        // The sender's send rules decide before anything starts, the name to be activated
        // standing for the receiver that does not exist yet (dbus-daemon 1.14): a peer may
        // not start a service it could not talk to. The refusal is the driver-call one.
        guard allowsDriverCall(message, from: sender, senderID: senderID) else { return true }
        var fds: [CInt] = []
        for index in 0..<message.unixFDCount {
            let copy = duplicateDescriptor(sender.receivedDescriptors.rawValue(at: index))
            guard copy >= 0 else {
                for made in fds { _ = closeDescriptor(made) }
                logger.warning("cannot hold a message from \(sender.logName) for \(name): fd duplication failed, errno \(currentErrno())")
                if wantsReply {
                    sendError(to: senderID, replySerial: message.serial, name: "org.freedesktop.DBus.Error.LimitsExceeded",
                              message: "Cannot duplicate the message's file descriptors")
                }
                return true
            }
            fds.append(copy)
        }
        var bytes = rewriteBuffer.bytes
        if body.count > 0 { bytes.append(contentsOf: body) }
        let held = HeldMessage(sender: senderID, bytes: bytes, fds: fds, serial: message.serial, wantsReply: wantsReply)
        do throws(DriverError) {
            try activate(service, for: .held(held))
        } catch {
            if wantsReply { sendError(to: senderID, replySerial: message.serial, name: error.name, message: error.message) }
        }
        return true
    }

    /// Delivers a held message to the name's new owner, through the checks a unicast
    /// passes: fd support, policy, reply tracking and queue limits. A sender that has left
    /// meanwhile loses its message, as its reply would have nowhere to go.
    func deliverHeld(_ held: HeldMessage, to ownerID: PeerID) {
        guard let receiver = peers[ownerID], !receiver.isClosed else {
            held.closeDescriptors()
            return
        }
        let sender = held.sender.flatMap { peers[$0] }
        if held.sender != nil && (sender == nil || sender!.isClosed) {
            held.closeDescriptors()
            return
        }
        held.bytes.withUnsafeBytes { raw in
            guard let view = try? MessageHeaderView(validating: raw, unixFDsReceived: held.fds.count) else {
                held.closeDescriptors()
                return
            }
            guard admitsHeld(view, held, sender: sender, to: receiver, receiverID: ownerID) else {
                held.closeDescriptors()
                return
            }
            if receiver.output.queuedBytes + raw.count > limits.maxOutgoingBytes {
                held.closeDescriptors()
                failHeld(held, receiverID: ownerID, "org.freedesktop.DBus.Error.LimitsExceeded",
                         "The maximum size of the message queue of \(ownerID.uniqueName) has been reached (max_outgoing_bytes=\(limits.maxOutgoingBytes))")
                return
            }
            receiver.output.append(raw, fds: held.fds)
            scheduleFlush(receiver)
            copyToMonitors(view, senderID: held.sender, destination: ownerID)
        }
    }

    /// fd support, policy and the pending reply, in routeUnicast's order.
    private func admitsHeld(_ view: MessageHeaderView, _ held: HeldMessage, sender: Peer?, to receiver: Peer,
                            receiverID: PeerID) -> Bool {
        if !held.fds.isEmpty && !receiver.unixFDsNegotiated {
            failHeld(held, receiverID: receiverID, "org.freedesktop.DBus.Error.NotSupported",
                     "Tried to send message with Unix file descriptors to a client that doesn't support that.")
            return false
        }
        guard let sender, let senderID = held.sender else { return true }
        guard allowsUnicast(view, from: sender, senderID: senderID, to: receiver, receiverID: receiverID,
                            requestedReply: false) else { return false }
        guard held.wantsReply else { return true }
        do throws(ReplyTrackerError) {
            try replies.expectReply(from: senderID, serial: held.serial, to: receiverID, deadline: replyDeadline())
        } catch {
            sendError(to: senderID, replySerial: held.serial, name: error.dbusErrorName, message: error.message)
            return false
        }
        armReplyTimer()
        return true
    }

    private func failHeld(_ held: HeldMessage, receiverID: PeerID, _ name: String, _ text: String) {
        guard held.wantsReply, let sender = held.sender else { return }
        _ = replies.takeReply(from: receiverID, to: sender, replySerial: held.serial)
        sendError(to: sender, replySerial: held.serial, name: name, message: text)
    }
}
