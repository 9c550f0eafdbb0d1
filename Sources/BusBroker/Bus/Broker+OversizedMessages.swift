// Oversized Messages: kdbus messages past D-Bus's limits, which only pool receivers can take.
import BusPlatform
import DBusWire

extension Broker {
    /// Routes a message that passed validation only against the kdbus transport's limits
    /// (docs/kdbus-transport.md §8: its large byte arrays came as memfds). Only a pool
    /// receiver can take it; a classic one would have to read it inline, and D-Bus's limits
    /// forbid that. So a message to a classic peer, to the driver or to a name without an
    /// owner fails at its sender with LimitsExceeded, and a broadcast reaches the pool
    /// receivers among its matches. No eavesdropper or monitor sees it, and the broker copies
    /// none of its memfd's whole pages.
    func routeOversized(_ message: MessageHeaderView, from sender: Peer, senderID: PeerID) {
        guard let destination = message.string(.destination) else {
            broadcastOversized(message, from: sender, senderID: senderID)
            return
        }
        if destination == "org.freedesktop.DBus" as StaticString {
            refuseOversized(message, from: senderID, because: "the bus driver takes no message past them")
            return
        }
        guard let receiverID = resolve(destination.bytes), let receiver = peers[receiverID], !receiver.isClosed else {
            refuseOversized(message, from: senderID, because: "\(destination.string) has no owner, and such a message is not held for activation")
            return
        }
        guard receiver.kdbus != nil else {
            refuseOversized(message, from: senderID, because: "\(receiverID.uniqueName) is a classic connection, which takes messages inline")
            return
        }
        guard fitsRewritten(message, from: sender) else { return }
        routeUnicast(message, from: sender, senderID: senderID, destination: destination.bytes, direct: true)
    }

    /// Answers a call that cannot be delivered with LimitsExceeded; anything else is dropped
    /// with a log line, as a signal to a full queue would be.
    private func refuseOversized(_ message: MessageHeaderView, from senderID: PeerID, because reason: String) {
        let text = "A message of \(message.buffer.count) bytes is past the D-Bus limits (\(ProtocolLimits.maxMessageLength) bytes a message, "
            + "\(ProtocolLimits.maxArrayLength) an array), which only a kdbus pool receiver can lift: \(reason)"
        if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
            sendError(to: senderID, replySerial: message.serial, name: "org.freedesktop.DBus.Error.LimitsExceeded", message: text)
        } else {
            logger.notice("\(senderID.uniqueName): dropped: \(text)")
        }
    }

    /// Broadcasts a message past D-Bus's limits without copying its memfd: the rewritten
    /// header and the body around the mapped memfd are spliced with that memfd again.
    private func broadcastOversized(_ message: MessageHeaderView, from sender: Peer, senderID: PeerID) {
        guard let parts = kdbusState.currentParts, parts.spliced.range.lowerBound >= message.bodyOffset else {
            logger.notice("\(senderID.uniqueName): dropped a \(message.buffer.count)-byte signal past the D-Bus limits: its memfd starts in the header")
            return
        }
        let rewritten = sender.uniqueNameBytes.withUnsafeBytes { name in
            Result { () throws(WireError) in try message.rewriteHeader(sender: name, into: &self.rewriteBuffer) }
        }
        if case .failure(let error) = rewritten {
            disconnect(sender, reason: "message cannot be forwarded: \(error)")
            return
        }
        let splice = parts.spliced
        let head = rewriteBuffer.bytes + message.buffer[message.bodyOffset..<splice.range.lowerBound]
        let tail = Array(message.buffer[splice.range.upperBound...])
        do throws(KDBusSendParts.MemfdError) {
            try KDBusSendParts.withSpliced(head: head, memfd: parts.memfds[splice.memfd], index: splice.memfd,
                                           length: splice.range.count, tail: tail) { bytes in
                broadcast(bytes, from: senderID, fds: sender, limits: message.limits)
            }
        } catch {
            logger.warning("\(senderID.uniqueName): dropped a \(message.buffer.count)-byte signal past the D-Bus limits: \(error)")
        }
    }
}
