// KDBus Transport: upgraded peers' records in, their pool slices and RECVs out.
import BusPlatform
import DBusWire

extension Broker {
    // MARK: - Upgrade

    /// Called after BEGIN for a peer whose SASL conversation ended with an agreement: makes
    /// its receive pool and doorbells and queues the POOL announcement, with the pool memfd
    /// and the client's two doorbell ends, as the first bytes it will read
    /// (docs/kdbus-transport.md §3–§4).
    func upgradeToKDBus(_ peer: Peer, agreement: KDBusAgreement) {
        let pool: ReceivePool
        do throws(PoolError) {
            pool = try ReceivePool.create(size: agreement.poolSize)
        } catch {
            disconnect(peer, reason: "cannot create its kdbus receive pool of \(agreement.poolSize) bytes: \(error)")
            return
        }
        let descriptor: CInt
        do throws(PoolError) {
            descriptor = try pool.descriptorForClient().take()
        } catch {
            disconnect(peer, reason: "cannot pass its kdbus receive pool: \(error)")
            return
        }
        let doorbells: BrokerDoorbells
        do throws(Errno) {
            doorbells = try BrokerDoorbells.make()
        } catch {
            closeDescriptor(descriptor)
            disconnect(peer, reason: "cannot make its kdbus doorbells: \(error)")
            return
        }
        let clientFDs = [descriptor, doorbells.clientEnds.wakesClient.take(), doorbells.clientEnds.ringsBroker.take()]
        peer.kdbus = KDBusConnection(agreement: agreement, pool: pool, toClient: doorbells.toClient, fromClient: doorbells.fromClient)
        withUnsafeTemporaryAllocation(byteCount: KDBusLimits.recordSize, alignment: 8) { record in
            KDBusRecord.poolAnnouncement(size: UInt64(agreement.poolSize)).encode(into: record)
            peer.output.append(UnsafeRawBufferPointer(record), fds: clientFDs)
        }
        scheduleFlush(peer)
        logger.debug("\(peer.logName) upgraded to the kdbus transport: pool \(agreement.poolSize), arena \(agreement.arenaSize), threshold \(agreement.memfdThreshold), metadata \(agreement.metadata.negotiationValue)")
    }

    // MARK: - Records on the socket

    /// Decodes every whole record in `peer`'s socket input: ARENA first, then only FDS
    /// records (SEND and FREE travel in the command ring). Any record that breaks a rule
    /// ends this peer's connection with one log line naming it, the field, its stream
    /// offset and value; no other peer notices.
    func processRecords(from peer: Peer) {
        guard let connection = peer.kdbus else { return }
        while !peer.isClosed {
            let unread = peer.input.unread
            guard unread.count >= KDBusLimits.recordSize else { break }
            let record: KDBusRecord
            do throws(KDBusRecordError) {
                record = try KDBusRecord.decode(
                    UnsafeRawBufferPointer(rebasing: unread[0..<KDBusLimits.recordSize]), from: .clientToBroker,
                    streamOffset: connection.recordOffset)
            } catch {
                disconnect(peer, reason: error.description)
                return
            }
            let at = KDBusRecordPlace(streamOffset: connection.recordOffset)
            switch record {
            case .arenaAnnouncement:
                handle(record, from: peer, connection: connection, at: at)
            case _ where !connection.hasArena:
                handle(record, from: peer, connection: connection, at: at)
            case .descriptors(let count):
                connection.unclaimedDescriptors += Int(count)
            default:
                disconnect(peer, reason: "\(at): \(record.kind) on the socket; after ARENA the socket carries only FDS records, SEND and FREE go in the command ring")
            }
            connection.recordOffset += KDBusLimits.recordSize
            peer.input.consume(KDBusLimits.recordSize)
        }
        if !peer.isClosed && peer.input.isEmpty && peer.receivedDescriptors.count > connection.unclaimedDescriptors {
            disconnect(peer, reason: "sent \(peer.receivedDescriptors.count) fds, FDS records announced \(connection.unclaimedDescriptors)")
        }
    }

    /// Carries out one record: ARENA from the socket, SEND and FREE from the command ring.
    func handle(_ record: KDBusRecord, from peer: Peer, connection: KDBusConnection, at: KDBusRecordPlace) {
        switch record {
        case .arenaAnnouncement(let size):
            guard !connection.hasArena else {
                disconnect(peer, reason: "\(at): a second ARENA; the arena is announced once")
                return
            }
            mapArena(size: size, from: peer, connection: connection, at: at)
        case _ where !connection.hasArena:
            disconnect(peer, reason: "\(at): \(record.kind) before ARENA; ARENA must be the first record")
        case .send(let send):
            carryOut(send, from: peer, connection: connection, at: at)
        case .free(let free):
            for slot in 0..<free.count {
                let offset = free[slot]
                do throws(PoolError) {
                    try connection.freeSlice(offset: Int(clamping: offset))
                } catch {
                    disconnect(peer, reason: "\(at): FREE of pool offset \(offset): \(error)")
                    return
                }
            }
        case .descriptors:
            disconnect(peer, reason: "\(at): FDS in the command ring; FDS records travel on the socket")
        case .receive, .broadcastsLost, .poolAnnouncement:
            preconditionFailure("KDBusRecord.decode(from: .clientToBroker) returned a broker-to-client record")
        }
    }

    private func mapArena(size: UInt64, from peer: Peer, connection: KDBusConnection, at: KDBusRecordPlace) {
        guard size == UInt64(connection.agreement.arenaSize) else {
            disconnect(peer, reason: "\(at): ARENA of \(size) bytes, but \(connection.agreement.arenaSize) were agreed")
            return
        }
        guard peer.receivedDescriptors.count >= 1 else {
            disconnect(peer, reason: "\(at): ARENA without its memfd")
            return
        }
        let raw = duplicateDescriptor(peer.receivedDescriptors.rawValue(at: 0))
        peer.receivedDescriptors.dropFirst(1)
        guard raw >= 0 else {
            disconnect(peer, reason: "\(at): cannot duplicate its arena memfd: errno \(currentErrno())")
            return
        }
        do throws(PoolError) {
            connection.arena = try SendArenaReader.map(FileDescriptor(owning: raw), expectedSize: connection.agreement.arenaSize)
        } catch {
            disconnect(peer, reason: "\(at): unusable ARENA memfd: \(error)")
            return
        }
        watchDoorbell(of: peer, connection: connection)
    }

    /// A SEND: copy the message out of the arena into broker memory (the client can change
    /// the arena at any time), validate the copy, route it as any classic message, then
    /// tell the client the space is free again (*consumed*).
    private func carryOut(_ send: KDBusRecord.Send, from peer: Peer, connection: KDBusConnection, at: KDBusRecordPlace) {
        let fdCount = Int(send.fdCount)
        let descriptorCount = fdCount + Int(send.memfdCount)
        guard peer.receivedDescriptors.count >= descriptorCount else {
            disconnect(peer, reason: "\(at): SEND announces \(descriptorCount) descriptors, \(peer.receivedDescriptors.count) arrived")
            return
        }
        guard send.memfdCount == 0 else {
            carryOutParts(send, from: peer, connection: connection, at: at)
            return
        }
        guard send.length <= UInt64(limits.maxMessageSize) else {
            disconnect(peer, reason: "\(at): SEND of \(send.length) bytes exceeds max_message_size=\(limits.maxMessageSize)")
            return
        }
        let copy = kdbusState.copyBuffer(length: Int(send.length))
        let outcome: Void?
        do throws(PoolError) {
            outcome = try connection.arena?.withMessage(offset: send.arenaOffset, length: send.length) { arena in
                routeFromArena(arena, copy: copy, from: peer, fdCount: fdCount, priority: send.priority, at: at)
            }
        } catch {
            disconnect(peer, reason: "\(at): SEND outside the arena: \(error)")
            return
        }
        guard outcome != nil else { preconditionFailure("carryOut before ARENA") }
        connection.markConsumed()
        if !peer.isClosed { peer.receivedDescriptors.dropFirst(descriptorCount) }
        kdbusState.shrinkCopyBuffer()
    }

    /// Routes a message lying in `arena` (which its sender can change at any time): the
    /// header is copied into `copy` and validated there, then either the body is copied
    /// once into the one pool receiver's slice and validated there (§6, the one-copy path),
    /// or, for every other route, copied after the header and validated before routing.
    private func routeFromArena(_ arena: UnsafeRawBufferPointer, copy: UnsafeMutableRawBufferPointer, from peer: Peer,
                                fdCount: Int, priority: Int32, at: KDBusRecordPlace) {
        let fixed = ProtocolLimits.fixedHeaderLength
        guard arena.count >= fixed else {
            disconnect(peer, reason: "\(at): invalid message: \(WireError(.truncated(needed: fixed, available: arena.count), at: arena.count))")
            return
        }
        // The fixed header decides how much is header; read once, from our copy.
        UnsafeMutableRawBufferPointer(rebasing: copy[0..<fixed]).copyMemory(from: UnsafeRawBufferPointer(rebasing: arena[0..<fixed]))
        let fieldsLength = Int(UnsafeRawBufferPointer(copy).loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let declaredOrder = copy[0] == UInt8(ascii: "B") ? Int(UInt32(truncatingIfNeeded: fieldsLength).byteSwapped) : fieldsLength
        let headerLength = min(arena.count, fixed + ((declaredOrder + 7) & ~7))
        UnsafeMutableRawBufferPointer(rebasing: copy[fixed..<headerLength])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: arena[fixed..<headerLength]))
        let view: MessageHeaderView
        do throws(WireError) {
            view = try MessageHeaderView(validating: UnsafeRawBufferPointer(copy), unixFDsReceived: fdCount, checkingBody: false)
        } catch {
            disconnect(peer, reason: "\(at): invalid message: \(error)")
            return
        }
        guard view.bodyOffset == headerLength, checkedDescriptors(view, from: peer, fdCount: fdCount, at: at) else {
            if !peer.isClosed { disconnect(peer, reason: "\(at): invalid message: header of \(view.bodyOffset) bytes, \(headerLength) read") }
            return
        }
        let body = UnsafeRawBufferPointer(rebasing: arena[headerLength...])
        kdbusState.currentPriority = priority
        defer { kdbusState.currentPriority = 0 }
        // Below `oneCopyMinimumBody` copying the whole message first is cheaper than the
        // one-copy path's extra look-up and split validation (measured: see the constant).
        guard body.count >= KDBusBrokerState.oneCopyMinimumBody, takesOneCopyPath(view, from: peer) else {
            UnsafeMutableRawBufferPointer(rebasing: copy[headerLength...]).copyMemory(from: body)
            do throws(WireError) { try view.validateBody(view.body) } catch {
                disconnect(peer, reason: "\(at): invalid message: \(error)")
                return
            }
            route(view, from: peer)
            return
        }
        kdbusState.unvalidatedBody = .init(header: view, bytes: body)
        route(view, from: peer)
        kdbusState.unvalidatedBody = nil
        if let rejected = kdbusState.rejectedBody {
            kdbusState.rejectedBody = nil
            disconnect(peer, reason: "\(at): invalid message: \(rejected)")
        }
    }

    /// The one-copy path's condition: a unicast from an active peer to one active pool
    /// receiver, seen by no eavesdropper or monitor — the router's direct path, whose one
    /// delivery is the slice that validates the body. Anything else (the driver, classic
    /// receivers, broadcasts, observers, activation) needs a validated copy first.
    private func takesOneCopyPath(_ message: MessageHeaderView, from sender: Peer) -> Bool {
        guard case .active = sender.state, eavesdropRuleCount == 0, monitors.isEmpty,
              let destination = message.string(.destination), !(destination == "org.freedesktop.DBus" as StaticString),
              let receiverID = resolve(destination.bytes), let receiver = peers[receiverID]
        else { return false }
        guard !receiver.isClosed, receiver.kdbus != nil, case .active = receiver.state else { return false }
        return true
    }

    /// The view of a message in broker memory, or nil after disconnecting its sender. Held to
    /// D-Bus's limits, or when `limits` allows more and only a length broke them, to `limits`:
    /// the view's `limits` tell routing which it passed.
    func validatedCopy(_ message: UnsafeRawBufferPointer, from peer: Peer, fdCount: Int, at: KDBusRecordPlace,
                       limits: MessageSizeLimits = .specification) -> MessageHeaderView? {
        let view: MessageHeaderView
        do throws(WireError) {
            do {
                view = try MessageHeaderView(validating: message, unixFDsReceived: fdCount)
            } catch where limits != .specification && error.rule.isLengthLimit {
                view = try MessageHeaderView(validating: message, unixFDsReceived: fdCount, limits: limits)
            }
        } catch {
            disconnect(peer, reason: "\(at): invalid message: \(error)")
            return nil
        }
        return checkedDescriptors(view, from: peer, fdCount: fdCount, at: at) ? view : nil
    }

    /// False, after disconnecting the sender, when the SEND's fds and the message's UNIX_FDS
    /// disagree or pass `max_message_unix_fds`.
    private func checkedDescriptors(_ view: MessageHeaderView, from peer: Peer, fdCount: Int, at: KDBusRecordPlace) -> Bool {
        guard view.unixFDCount == fdCount else {
            disconnect(peer, reason: "\(at): SEND carries \(fdCount) fds, its message declares UNIX_FDS=\(view.unixFDCount)")
            return false
        }
        if fdCount > limits.maxMessageUnixFDs {
            disconnect(peer, reason: "\(at): message carries \(fdCount) fds, max_message_unix_fds=\(limits.maxMessageUnixFDs)")
            return false
        }
        return true
    }

    // MARK: - Delivery into a pool

    /// Writes a message into `receiver`'s pool and queues its RECV, with duplicates of
    /// `sender`'s first `count` fds. False when the pool has no room: a unicast then fails
    /// at its sender; anything else (broadcast, eavesdropped or monitor copy) is counted as
    /// lost and reported before the receiver's next RECV.
    func deliverToPool(_ message: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, to receiver: Peer,
                       fds sender: Peer?, count: Int, isUnicast: Bool) -> Bool {
        guard count > 0, let sender else { return deliverToPool(message, body: body, to: receiver, ownedFDs: [], isUnicast: isUnicast) }
        var duplicates: [CInt] = []
        duplicates.reserveCapacity(count)
        for index in 0..<count {
            let copy = duplicateDescriptor(sender.receivedDescriptors.rawValue(at: index))
            guard copy >= 0 else {
                for made in duplicates { closeDescriptor(made) }
                logger.warning("cannot duplicate an fd for \(receiver.logName): errno \(currentErrno())")
                return false
            }
            duplicates.append(copy)
        }
        return deliverToPool(message, body: body, to: receiver, ownedFDs: duplicates, isUnicast: isUnicast)
    }

    /// As above with fds already made for the receiver (closed here if the message is not
    /// delivered).
    func deliverToPool(_ message: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, to receiver: Peer,
                       ownedFDs fds: [CInt], isUnicast: Bool) -> Bool {
        guard let connection = receiver.kdbus else { preconditionFailure("deliverToPool: \(receiver.logName) is classic") }
        if connection.waitingDescriptorCount + receiver.output.queuedDescriptors + fds.count > limits.maxOutgoingUnixFDs {
            for fd in fds { closeDescriptor(fd) }
            pendingDisconnects.append((receiver, "it holds \(connection.waitingDescriptorCount + receiver.output.queuedDescriptors) unread fds and \(fds.count) more would pass max_outgoing_unix_fds=\(limits.maxOutgoingUnixFDs)"))
            return false
        }
        // Parts describe the routed message's body; anything shorter is not that message.
        let parts = kdbusState.currentParts.flatMap { message.count + body.count >= $0.bodyLength ? $0 : nil }
        // kdbus metadata hook: the receiver's items about the routed message's sender.
        let pidfd = senderPidfdForReceiver(connection.agreement.metadata)
        let wanted = pidfd == nil ? connection.agreement.metadata.subtracting(.pidfd) : connection.agreement.metadata
        var composer = KDBusSliceComposer(metadata: wanted, message: message, body: body, parts: parts)
        composer.metadataLength = metadataLength(wanted)
        let sliceLength = composer.length
        if parts == nil && sliceLength > connection.agreement.poolSize - KDBusLimits.poolControlSize {
            if let pidfd { closeDescriptor(pidfd) }
            return deliverSpilled(message, body: body, to: receiver, ownedFDs: fds, isUnicast: isUnicast)
        }
        let slice: PoolSlice
        do throws(PoolError) {
            slice = try connection.pool.allocate(sliceLength)
        } catch {
            for fd in fds { closeDescriptor(fd) }
            if let pidfd { closeDescriptor(pidfd) }
            if !isUnicast {
                connection.countLostBroadcast()
                scheduleFlush(receiver)
            }
            logger.debug("\(receiver.logName): receive pool full, \(isUnicast ? "unicast refused" : "broadcast dropped"): \(error)")
            return false
        }
        var descriptors = fds
        if let parts {
            // One more reference to each memfd, no copy of its bytes.
            let duplicated = composer.forEachMemfd { index in
                let copy = duplicateDescriptor(parts.memfds[index])
                if copy >= 0 { descriptors.append(copy) }
                return copy >= 0
            }
            guard duplicated else {
                for fd in descriptors { closeDescriptor(fd) }
                if let pidfd { closeDescriptor(pidfd) }
                try? connection.pool.free(offset: slice.offset)
                logger.warning("cannot duplicate a memfd for \(receiver.logName): errno \(currentErrno())")
                return false
            }
        }
        let sequence = kdbusState.sequence
        // Set inside rather than returned: `withSliceBytes` is generic across modules and a
        // Void result keeps it from allocating on every message.
        var rejected: WireError?
        connection.pool.withSliceBytes(slice) { bytes in
            composer.write(into: bytes, sequence: sequence) { writer in appendMetadata(wanted, to: &writer, descriptorsBeforePidfd: descriptors.count) }
            rejected = validateCopiedBody(in: bytes, after: KDBusSliceHeader.size + composer.itemsLength + message.count, length: body.count)
        }
        if let rejected {
            // Nobody saw it: the RECV was not queued. The sender is disconnected after routing.
            for fd in descriptors { closeDescriptor(fd) }
            if let pidfd { closeDescriptor(pidfd) }
            try? connection.pool.free(offset: slice.offset)
            kdbusState.rejectedBody = rejected
            return false
        }
        if let parts, parts.isSpill { connection.noteSpill(offset: slice.offset, bytes: parts.bodyLength) }
        // The pidfd travels after the message's fds, uncounted by the RECV (docs/kdbus-transport.md §7).
        connection.enqueue(
            KDBusRecord.Receive(poolOffset: UInt64(slice.offset), length: UInt64(sliceLength),
                                priority: kdbusState.currentPriority, fdCount: UInt16(fds.count),
                                memfdCount: UInt16(descriptors.count - fds.count)),
            fds: pidfd.map { descriptors + [$0] } ?? descriptors)
        scheduleFlush(receiver)
        return true
    }

    /// On the one-copy path, checks the body just copied into a slice (`length` bytes at
    /// `offset`) against the header validated before routing: the slice is the first copy
    /// the sender cannot change. Nil when it is valid or nothing waits for validation.
    private func validateCopiedBody(in slice: UnsafeMutableRawBufferPointer, after offset: Int, length: Int) -> WireError? {
        guard let pending = kdbusState.unvalidatedBody else { return nil }
        kdbusState.unvalidatedBody = nil  // one delivery on this path; later ones copy from validated bytes
        do throws(WireError) {
            try pending.header.validateBody(UnsafeRawBufferPointer(rebasing: slice[offset..<offset + length]))
        } catch {
            return error
        }
        return nil
    }

    /// The text of the LimitsExceeded a sender gets when `receiver` cannot take a unicast.
    func queueFullText(for receiver: Peer, id: PeerID) -> String {
        guard let connection = receiver.kdbus else {
            return "The maximum size of the message queue of \(id.uniqueName) has been reached (max_outgoing_bytes=\(limits.maxOutgoingBytes))"
        }
        let spilled = connection.spilledBytes > 0 ? "; \(connection.spilledBytes) bytes unread in memfds of the bus, max_outgoing_bytes=\(limits.maxOutgoingBytes)" : ""
        return "The receive pool of \(id.uniqueName) is full (\(connection.pool.freeBytes) of \(connection.pool.size) bytes free, largest free range \(connection.pool.largestFree)\(spilled))"
    }

    /// Publishes a pool peer's waiting RECVs into its RECV ring; the flush hook for
    /// upgraded peers (their FDS records leave through the output queue).
    func moveWaitingRecords(of peer: Peer) {
        guard let connection = peer.kdbus, connection.hasWaiting else { return }
        let outcome = connection.publishWaiting(output: &peer.output) { output in (try? output.flush(to: peer.socket)) ?? false }
        if case .impossibleHead(let head) = outcome {
            disconnect(peer, reason: "RECV ring: recvHead = \(head) with recvTail = \(connection.receiveTail); the head may not pass the tail")
        }
    }
}

extension Broker {
    /// The router's direct unicast path, for a pool receiver: the header is rewritten into
    /// the broker's header buffer and the body copied once, from where the message lies,
    /// into the slice.
    func forwardToPool(_ message: MessageHeaderView, for receiver: Peer, from sender: Peer) -> Delivery {
        // route() checked a direct unicast's rewritten length, and the sender's name is ours:
        // the unchecked writer is safe here.
        let headerLength = message.rewrittenHeaderLength(senderLength: sender.uniqueNameBytes.count)
        // On the one-copy path the body is still in the sender's arena; the slice validates it.
        let body = kdbusState.unvalidatedBody?.bytes ?? message.body
        let header = kdbusState.headerBuffer(length: headerLength)
        defer { kdbusState.shrinkHeaderBuffer() }
        let written = sender.uniqueNameBytes.withUnsafeBytes { name in
            message.writeRewrittenHeader(sender: name, to: header.baseAddress!)
        }
        precondition(written == headerLength, "rewrittenHeaderLength and writeRewrittenHeader disagree")
        if deliverToPool(UnsafeRawBufferPointer(header), body: body, to: receiver, fds: sender,
                         count: message.unixFDCount, isUnicast: true) { return .queued }
        // On the one-copy path the slice found the body invalid (`validateCopiedBody`).
        return kdbusState.rejectedBody == nil ? .refused : .rejected
    }
}
