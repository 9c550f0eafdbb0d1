// KDBus Spill: a message body larger than a receiver's whole pool, passed in a memfd of the broker's.
import BusPlatform
import DBusWire

extension Broker {
    /// Delivers a message no slice of `receiver`'s pool could ever hold: its body goes in a
    /// memfd of the broker's (`spillBody`), the rest in a slice, as for a message that came
    /// with memfd parts. Kept out of `deliverToPool` so its hot path pays one comparison.
    @inline(never)
    func deliverSpilled(_ message: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, to receiver: Peer,
                        ownedFDs fds: [CInt], isUnicast: Bool) -> Bool {
        // Broker memory until the receiver frees the slice: held to max_outgoing_bytes, and
        // past it treated as a full pool (refused unicast, counted lost broadcast).
        if let connection = receiver.kdbus, connection.spilledBytes + message.count + body.count > limits.maxOutgoingBytes {
            for fd in fds { closeDescriptor(fd) }
            if !isUnicast {
                connection.countLostBroadcast()
                scheduleFlush(receiver)
            }
            logger.debug("\(receiver.logName): \(connection.spilledBytes) bytes in unread memfds, \(isUnicast ? "unicast refused" : "broadcast dropped")")
            return false
        }
        guard var spill = spillBody(message, body, for: receiver) else {
            for fd in fds { closeDescriptor(fd) }
            return false
        }
        spill.isSpill = true
        let routed = kdbusState.currentParts
        kdbusState.currentParts = spill
        defer {
            kdbusState.currentParts = routed
            closeDescriptor(spill.memfds[0])  // the receiver got its own duplicate
        }
        return deliverToPool(message, body: body, to: receiver, ownedFDs: fds, isUnicast: isUnicast)
    }

    /// The body of `message ++ body` (a message, or its header then its body) copied into a
    /// new sealed memfd, as parts that name it: for a receiver whose pool could never hold the
    /// message (docs/kdbus-transport.md §8.2). A classic peer may send what D-Bus allows (up
    /// to `max_message_size`), whatever pool its receiver chose; this is the one copy that
    /// delivery into the pool would have made. On the one-copy path the body is still in the
    /// sender's arena: it is validated in the sealed memfd, as it would have been in the slice.
    /// Nil when the memfd cannot be made (logged) or the body is invalid (`rejectedBody`).
    func spillBody(_ message: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer, for receiver: Peer) -> KDBusBodyParts? {
        let total = message.count + body.count
        let bodyLength = body.count > 0 ? body.count : MessageFraming.declaredBodyLength(message) ?? 0
        guard bodyLength > 0, bodyLength <= total else { return nil }
        let bytes = body.count > 0 ? body : UnsafeRawBufferPointer(rebasing: message[(total - bodyLength)...])
        let raw: CInt
        do throws(Errno) {
            let file = try MemoryFile.sealedPayload(bytes, name: "swiftbusd-spill")
            if let pending = kdbusState.unvalidatedBody {
                kdbusState.unvalidatedBody = nil
                let mapping = try MappedRegion.map(file, length: bodyLength, protection: .read)
                let invalid = mapping.withUnsafeBytes { copied -> WireError? in
                    do throws(WireError) { try pending.header.validateBody(copied) } catch { return error }
                    return nil
                }
                if let invalid {
                    kdbusState.rejectedBody = invalid
                    return nil
                }
            }
            raw = file.take()
        } catch {
            logger.warning("\(receiver.logName): cannot pass a \(bodyLength)-byte body in a memfd: \(error)")
            return nil
        }
        let bodyOffset = total - bodyLength
        let parts: [KDBusPartsList.Part] = [.inline(0..<bodyOffset), .memfd(index: 0, length: bodyLength)]
        guard let spilled = KDBusBodyParts(parts, bodyOffset: bodyOffset, bodyLength: bodyLength, memfds: [raw],
                                           spliced: .init(memfd: 0, range: bodyOffset..<total)) else {
            closeDescriptor(raw)
            return nil
        }
        return spilled
    }
}
