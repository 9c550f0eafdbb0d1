/// Connection I/O
import BusPlatform
import DBusWire

/// The connection's socket side; lives on the I/O thread only. It writes the SASL lines and
/// queued messages, reads and frames incoming bytes, finishes authentication, and hands
/// each message with its descriptors to `ConnectionCore.deliver`.
final class ConnectionIO: IOEventHandler {
    /// Bytes read per `recvmsg`; a message larger than this is simply read in several turns.
    static let readChunkSize = 64 * 1024
    /// Reads per readiness event before yielding to the loop, so a flood cannot starve sends.
    static let readsPerEvent = 16

    let core: ConnectionCore
    let loop: EventLoop
    private let socket: UnixSocket
    private var registration: IORegistration?
    private var sasl: SASLClient?
    private var outgoing: [ConnectionCore.Outgoing] = []
    private var writeOffset = 0
    private var inbound: [UInt8] = []
    private var inboundStart = 0
    private var readBuffer = [UInt8](repeating: 0, count: ConnectionIO.readChunkSize)
    private var receivedDescriptors = DescriptorList()
    private var control = ControlBuffer(credentials: false)
    private var waitingDescriptors: [UnixFD] = []
    /// Bytes of records read since BEGIN, for error reports.
    private var recordStreamOffset = 0
    private var wantsWrite = false
    /// Mirrors `ConnectionCore.State.receivingPaused`.
    private var readingPaused = false
    /// The kdbus offer sent with the SASL lines, nil for a classic-only connection.
    private let offer: KDBusOffer?
    /// What the bus granted, from its AGREE until the connection ends; nil on a classic one.
    private var agreement: KDBusAgreement?
    /// The pool and arena, once the broker's POOL arrived.
    private var poolTransport: PoolTransport?
    /// Messages waiting, in order, for room in the send arena and the command ring.
    private var arenaBacklog: [StagedMessage] = []
    /// True while this connection has raised `clientWaitsForCommandSpace`: FREEs or the
    /// backlog wait for the broker to consume, and its to-client doorbell brings us back.
    private var waitsForCommandSpace = false
    /// True during a pass over the RECV ring, which may read the socket for FDS records:
    /// records read then must not start a second pass.
    private var inReceivePass = false
    /// The to-client doorbell's registration, from POOL on.
    private var doorbellRegistration: IORegistration?
    private var freeTimer: TimerID?
    /// Longest a FREE waits for a SEND to travel with: short, so a receiver that never
    /// sends still returns its slices promptly.
    static let freeDelay: Duration = .milliseconds(1)
    /// Set once the connection is down; the thread then leaves its loop.
    private(set) var finished = false

    init(core: ConnectionCore, loop: EventLoop, socket: consuming UnixSocket, sasl: SASLClient, offer: KDBusOffer?) {
        self.core = core
        self.loop = loop
        self.socket = socket
        self.sasl = sasl
        self.offer = offer
        outgoing.append(.init(bytes: sasl.start(), fileDescriptors: []))
    }

    /// Registers the socket for reading only; called on the I/O thread before the loop
    /// runs. The SASL lines wait for the wake-up that the first queued message (Hello)
    /// causes, so both leave in one write — with a kdbus offer too: until its ARENA a
    /// client's bytes after BEGIN are classic messages on every bus
    /// (docs/kdbus-transport.md §2), so nothing waits for the answer.
    func start() throws(Errno) {
        registration = try loop.register(socket.descriptor, interest: [.readable], handler: self)
        wantsWrite = false
    }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        // A hang-up is read even while paused: the bus is gone, nothing is left to stall.
        if (events.contains(.readable) && !readingPaused) || !events.isDisjoint(with: .hangup) || events.contains(.error) {
            readAvailable()
        }
        if !finished && events.contains(.writable) { flush() }
        if !finished && events.contains(.error) { shutDown("socket error") }
    }

    /// Called after every loop turn: picks up messages user tasks queued, and a close request.
    func afterTurn() {
        guard !finished else { return }
        let (more, closeRequested, paused) = core.state.withLock { state -> ([ConnectionCore.Outgoing], Bool, Bool) in
            defer { state.outgoing.removeAll(keepingCapacity: true) }
            return (state.outgoing, state.closeRequested, state.receivingPaused)
        }
        if paused != readingPaused {
            readingPaused = paused
            updateInterest()
            // The RECV ring waited with the socket (a stalled receiver consumes neither).
            if !paused { consumeReceiveRing() }
        }
        for message in more { enqueue(message) }
        if !outgoing.isEmpty { flush() }
        if closeRequested && !finished {
            shutDown("the connection was closed by this client")
        }
    }

    // MARK: Writing

    /// Queues a message: on the kdbus transport through the send arena, else as bytes for
    /// the socket.
    private func enqueue(_ message: ConnectionCore.Outgoing) {
        if let poolTransport {
            do {
                arenaBacklog.append(try poolTransport.stage(message.bytes, holes: message.holes, fileDescriptors: message.fileDescriptors,
                                                            payloads: message.payloads))
            } catch {
                return shutDown("could not send through the kdbus transport: \(error)")
            }
            return writeCommands()
        }
        appendToSocketQueue(message)
    }

    /// Queues bytes for the socket, joining them to the previous entry when they carry no
    /// descriptors, so a burst (SASL lines and Hello, above all) leaves in one write. Bytes
    /// with descriptors start a new entry: the kernel attaches them to its first byte.
    private func appendToSocketQueue(_ message: ConnectionCore.Outgoing) {
        // Only a message staged for the arena has holes; on the socket it must be whole.
        if !message.holes.isEmpty {
            var whole = message
            whole.bytes = WireHole.joined(message.bytes, message.holes)
            whole.holes = []
            return appendToSocketQueue(whole)
        }
        if message.fileDescriptors.isEmpty, !outgoing.isEmpty {
            outgoing[outgoing.count - 1].bytes.append(contentsOf: message.bytes)
        } else {
            outgoing.append(message)
        }
    }

    /// Writes pending FREEs, then the waiting messages, into the command ring and the arena,
    /// in order, and queues the FDS records of their descriptors. When the broker has not
    /// consumed enough of the ring (entries) or the arena (bytes), waits for its doorbell —
    /// never a timer, never a spin:
    ///
    /// Why no wake-up is lost (the Dekker pairing of docs/kdbus-transport.md §4.2). We raise
    /// `clientWaitsForCommandSpace`, fence, then try again, loading `commandHead` and
    /// `sendsConsumed`; the broker, in each pass over our command ring, stores
    /// `sendsConsumed` (per SEND) and `commandHead`, fences, then loads the flag, and rings
    /// when it is set. Of two store-fence-load sequences at least one load sees the other's
    /// store: either our retry sees the space, or the broker sees the flag and rings. While
    /// the flag stays up every later retry also comes after it, so a retry that still finds
    /// no space can always wait. `doorbellRang` drains the doorbell *before* retrying, so a
    /// ring that lands during the retry is at worst one spurious wake-up. Arena bytes need no
    /// ring of their own: the broker moves `sendsConsumed` only inside a command pass, and
    /// that pass ends by looking at the flag. Entries written but not yet published (their
    /// FDS records still on the socket) are published by `flush` once the socket drains,
    /// which starts the pass that frees the space.
    private func writeCommands() {
        guard let poolTransport, !finished else { return }
        defer { publishIfSocketIdle() }
        while let shortage = writeUntilFull(poolTransport) {
            // The flag went up before this attempt's loads: the broker will ring.
            if finished || waitsForCommandSpace { return }
            noteWait(for: shortage)
            poolTransport.waitForCommandSpace(true)
            waitsForCommandSpace = true
        }
        if waitsForCommandSpace {
            poolTransport.waitForCommandSpace(false)
            waitsForCommandSpace = false
        }
    }

    /// Writes FREEs, then backlog messages, until done (nil) or short of space.
    private func writeUntilFull(_ poolTransport: PoolTransport) -> PoolTransport.Shortage? {
        var written = 0
        defer { arenaBacklog.removeFirst(written) }
        // FREEs go first: written ahead of the SEND, published with it.
        writeFrees(poolTransport)
        if poolTransport.hasPendingFrees { return .commandRing }
        for staged in arenaBacklog {
            let shortage: PoolTransport.Shortage?
            do { shortage = try poolTransport.write(staged) } catch {
                shutDown("could not send through the kdbus transport: \(error)")
                return nil
            }
            if let shortage { return shortage }
            // The descriptors travel in FDS records; the SEND that claims them is published
            // only once they left the socket (`publishIfSocketIdle`).
            let descriptors = staged.fileDescriptors + staged.memfds
            var start = 0
            while start < descriptors.count {
                let count = min(descriptors.count - start, KDBusLimits.maxDescriptorsPerRecord)
                appendToSocketQueue(.init(bytes: KDBusRecord.descriptors(count: UInt32(count)).bytes,
                                          fileDescriptors: Array(descriptors[start..<start + count])))
                start += count
            }
            written += 1
        }
        return nil
    }

    /// Counts one time the broker had to be waited for (the flag raised), by what was
    /// short: figures for tests and tuning.
    private func noteWait(for shortage: PoolTransport.Shortage) {
        core.state.withLock { state in
            switch shortage {
            case .arenaBytes: state.arenaWaits += 1
            case .commandRing: state.commandRingWaits += 1
            }
        }
    }

    /// Publishes the written command entries once nothing waits on the socket: every FDS
    /// record an entry may claim has then left completely (docs/kdbus-transport.md §5).
    private func publishIfSocketIdle() {
        guard outgoing.isEmpty else { return }
        poolTransport?.publishCommands()
    }

    private func flush() {
        while !outgoing.isEmpty {
            do {
                let sent = try sendHead()
                writeOffset += sent
                if writeOffset < outgoing[0].bytes.count { break }
                outgoing.removeFirst()
                writeOffset = 0
            } catch where error == .wouldBlock {
                break
            } catch {
                shutDown("send failed: \(error)")
                return
            }
        }
        publishIfSocketIdle()
        updateWriteInterest(outgoing.isEmpty == false)
    }

    /// Sends what remains of the first queued message; its descriptors go with its first byte.
    private func sendHead() throws(Errno) -> Int {
        let head = outgoing[0]
        let offset = writeOffset
        let result = head.bytes.withUnsafeBytes { raw -> Result<Int, Errno> in
            let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
            do throws(Errno) {
                if offset > 0 || head.fileDescriptors.isEmpty { return .success(try socket.send(rest)) }
                var list = DescriptorList(reservingCapacity: head.fileDescriptors.count)
                for descriptor in head.fileDescriptors { list.append(try descriptor.duplicate()) }
                return .success(try socket.send(rest, descriptors: list))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func updateWriteInterest(_ wanted: Bool) {
        guard wanted != wantsWrite else { return }
        wantsWrite = wanted
        updateInterest()
    }

    private func updateInterest() {
        guard let registration else { return }
        var interest: IOEvents = readingPaused ? [] : [.readable]
        if wantsWrite { interest.insert(.writable) }
        try? loop.setInterest(interest, for: registration)
    }

    // MARK: Reading

    private func readAvailable() {
        for _ in 0..<Self.readsPerEvent {
            guard readOnce(), !finished else { return }
        }
    }

    /// One `recvmsg`, its bytes and descriptors handed on; false when nothing more is to be
    /// read now (EAGAIN, or the connection ended).
    private func readOnce() -> Bool {
        let received = readBuffer.withUnsafeMutableBytes { buffer -> Result<Int, ReceiveError> in
            do throws(ReceiveError) {
                return .success(try socket.receive(into: buffer, descriptors: &receivedDescriptors, control: &control).byteCount)
            } catch {
                return .failure(error)
            }
        }
        let count: Int
        switch received {
        case .success(let value): count = value
        case .failure(.system(.wouldBlock)): return false
        case .failure(.system(.connectionReset)):
            // A bus that exits with bytes of ours unread resets instead of closing: the
            // same end for the user.
            shutDown("the bus closed the connection")
            return false
        case .failure(let error):
            shutDown("receive failed: \(error)")
            return false
        }
        if count == 0 {
            shutDown("the bus closed the connection")
            return false
        }
        adoptDescriptors()
        consume(count)
        return true
    }

    private func adoptDescriptors() {
        for index in 0..<receivedDescriptors.count {
            if let descriptor = receivedDescriptors.take(at: index) { waitingDescriptors.append(UnixFD(descriptor)) }
        }
        receivedDescriptors.removeAll()
    }

    private func consume(_ count: Int) {
        var start = 0
        if sasl != nil {
            start = feedSASL(count)
            if finished || sasl != nil { return }
        }
        inbound.append(contentsOf: readBuffer[start..<count])
        if agreement != nil {
            handleCompleteRecords()
        } else {
            deliverCompleteMessages()
        }
    }

    /// Feeds the SASL client; returns how many bytes of the chunk it used.
    private func feedSASL(_ count: Int) -> Int {
        do {
            let step = try readBuffer.withUnsafeBytes { raw in
                try sasl!.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            }
            if !step.output.isEmpty { outgoing.insert(.init(bytes: step.output, fileDescriptors: []), at: 0) }
            guard let outcome = step.outcome else { return count }
            sasl = nil
            core.state.withLock { $0.unixFDsAgreed = outcome.unixFDsAgreed }
            if case .accepted(let line)? = outcome.extensionReply {
                // Messages keep going out classic until the pool arrives and ARENA is queued.
                startKDBus(agreementLine: line)
            }
            return outcome.consumedBytes
        } catch {
            shutDown("authentication failed: \(error)")
            return count
        }
    }

    private func deliverCompleteMessages() {
        while !finished {
            let available = inbound.count - inboundStart
            let length: Int?
            do {
                length = try inbound.withUnsafeBytes { raw in
                    try MessageFraming.messageLength(prefix: UnsafeRawBufferPointer(rebasing: raw[inboundStart...]))
                }
            } catch {
                shutDown("the bus sent a malformed message: \(error)")
                return
            }
            guard let length, available >= length else { break }
            deliverMessage(at: inboundStart, length: length)
            inboundStart += length
        }
        if inboundStart == inbound.count {
            inbound.removeAll(keepingCapacity: true)
            inboundStart = 0
        }
    }

    private func deliverMessage(at start: Int, length: Int) {
        do {
            let message = try inbound.withUnsafeBytes { raw in
                try Message(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]),
                            unixFDsReceived: waitingDescriptors.count)
            }
            let descriptors = Array(waitingDescriptors.prefix(message.unixFDCount))
            waitingDescriptors.removeFirst(descriptors.count)
            if let timer = core.deliver(ReceivedMessage(message: message, fileDescriptors: descriptors)) {
                loop.cancelTimer(timer)
            }
        } catch {
            shutDown("the bus sent an invalid message: \(error)")
        }
    }

    // MARK: kdbus

    /// The bus agreed to the offer: after BEGIN it speaks only pool and arena records.
    private func startKDBus(agreementLine line: String) {
        guard let offer else { return shutDown("the bus agreed to a kdbus offer this connection never made: \(line)") }
        do {
            agreement = try KDBusAgreement(parsingReply: line, offer: offer)
        } catch {
            return shutDown("the bus's kdbus agreement is invalid (\(error)): \(line)")
        }
    }

    /// Handles every whole record received so far, then queues the FREEs for the slices it
    /// read: one batch per wake-up.
    private func handleCompleteRecords() {
        let size = KDBusLimits.recordSize
        while !finished, inbound.count - inboundStart >= size {
            let record: KDBusRecord
            do {
                record = try inbound.withUnsafeBytes { raw throws(KDBusRecordError) in
                    try KDBusRecord.decode(UnsafeRawBufferPointer(rebasing: raw[inboundStart..<inboundStart + size]),
                                           from: .brokerToClient, streamOffset: recordStreamOffset)
                }
            } catch {
                return shutDown("the bus sent an invalid kdbus record: \(error)")
            }
            inboundStart += size
            recordStreamOffset += size
            handle(record)
        }
        if inboundStart == inbound.count {
            inbound.removeAll(keepingCapacity: true)
            inboundStart = 0
        }
        // RECVs waiting for descriptors these records brought can go on now.
        consumeReceiveRing()
    }

    /// Takes every published RECV-ring entry, then queues the FREEs for the slices read:
    /// one batch per wake-up. Not while paused (a stalled receiver), and not again from
    /// within a pass (a RECV short of descriptors reads the socket, which handles records).
    func consumeReceiveRing() {
        guard let poolTransport, !finished, !readingPaused, !inReceivePass else { return }
        inReceivePass = true
        defer { inReceivePass = false }
        do {
            try poolTransport.consumeReceives { record in
                guard !finished else { return false }
                switch record {
                case .receive(let receive): return receiveMessage(receive)
                case .broadcastsLost(let lost):
                    core.noteBroadcastsLost(lost.count, total: lost.total)
                    return true
                default:
                    shutDown("the bus put a \(record.kind) record in the RECV ring")
                    return false
                }
            }
        } catch {
            return shutDown("\(error)")
        }
        scheduleFrees()
    }

    /// The to-client doorbell rang: drain it (first: a ring that comes while we look is at
    /// worst one spurious wake-up), take the RECV ring, and retry what waits for command
    /// space — the broker rings for both (docs/kdbus-transport.md §4.2).
    func doorbellRang(_ events: IOEvents) {
        guard let poolTransport, !finished else { return }
        if !poolTransport.drainDoorbell() || (!events.contains(.readable) && !events.isDisjoint(with: [.hangup, .error])) {
            return shutDown("the bus closed the connection")
        }
        consumeReceiveRing()
        if waitsForCommandSpace || !arenaBacklog.isEmpty { writeCommands() }
        if !outgoing.isEmpty { flush() }
    }

    /// Sends pending FREEs now when they hold much of the pool, else within `freeDelay`
    /// unless a SEND takes them along first. While the command ring is full they wait with
    /// the backlog for the broker's doorbell.
    private func scheduleFrees() {
        guard let poolTransport, poolTransport.hasPendingFrees, !waitsForCommandSpace else { return }
        if poolTransport.pendingFreesAreUrgent { return writeCommands() }
        guard freeTimer == nil else { return }
        freeTimer = loop.addTimer(after: Self.freeDelay) { [self] _ in
            freeTimer = nil
            writeCommands()
            if !outgoing.isEmpty { flush() }
        }
    }

    /// Writes as many pending FREEs as the command ring takes (published with what follows).
    private func writeFrees(_ poolTransport: PoolTransport) {
        guard poolTransport.hasPendingFrees else { return }
        if let freeTimer { loop.cancelTimer(freeTimer) }
        freeTimer = nil
        poolTransport.writeFrees()
    }

    private func handle(_ record: KDBusRecord) {
        switch record {
        case .poolAnnouncement(let size): receivePool(size: size)
        case .descriptors(let count):
            // Its descriptors came with its first byte and wait in `waitingDescriptors`.
            guard poolTransport != nil, Int(count) <= waitingDescriptors.count else {
                return shutDown("the bus sent an FDS record of \(count) descriptors with \(waitingDescriptors.count) arrived")
            }
        case .receive, .broadcastsLost, .send, .free, .arenaAnnouncement: shutDown("the bus sent a record this client does not expect: \(record.kind)")
        }
    }

    /// The broker's first record: map the pool and announce the arena. Messages already on
    /// the socket queue leave before ARENA as classic bytes; later ones go through the arena.
    private func receivePool(size: UInt64) {
        guard let agreement, poolTransport == nil else { return shutDown("the bus announced a second receive pool") }
        guard size == UInt64(agreement.poolSize) else {
            return shutDown("the bus announced a pool of \(size) bytes after granting \(agreement.poolSize)")
        }
        guard waitingDescriptors.count >= 3, let file = waitingDescriptors.removeFirst().take(),
              let wakes = waitingDescriptors.removeFirst().take(), let rings = waitingDescriptors.removeFirst().take()
        else {
            return shutDown("the bus's POOL record came without its memfd and two doorbell ends")
        }
        do {
            let transport = try PoolTransport(poolFile: file, wakesClient: wakes, ringsBroker: rings, agreement: agreement)
            let announcement = try transport.arenaAnnouncement()
            doorbellRegistration = try loop.register(transport.wakesClient.descriptor, interest: [.readable],
                                                     handler: KDBusDoorbellHandler(connection: self))
            poolTransport = transport
            appendToSocketQueue(.init(bytes: announcement.record, fileDescriptors: [announcement.descriptor]))
        } catch {
            return shutDown("could not set up the kdbus transport: \(error)")
        }
        core.state.withLock {
            $0.transport = .kdbus
            $0.memfdThreshold = agreement.memfdThreshold
        }
    }

    /// A message in the pool: decode it in place and deliver it with its descriptors.
    /// False when the connection ended over it.
    private func receiveMessage(_ receive: KDBusRecord.Receive) -> Bool {
        guard let poolTransport else { shutDown("the bus sent RECV before its POOL"); return false }
        let descriptorCount = Int(receive.fdCount) + Int(receive.memfdCount)
        guard readDescriptors(atLeast: descriptorCount) else {
            shutDown("the bus published a RECV claiming \(descriptorCount) descriptors; its FDS records delivered \(waitingDescriptors.count)")
            return false
        }
        let descriptors = Array(waitingDescriptors.prefix(Int(receive.fdCount)))
        let memfds = Array(waitingDescriptors[Int(receive.fdCount)..<descriptorCount])
        waitingDescriptors.removeFirst(descriptorCount)
        do {
            let received = try poolTransport.receive(receive, memfds: memfds, fileDescriptorCount: descriptors.count)
            var credentials: SenderCredentials?
            if let metadata = received.metadata {
                credentials = SenderCredentials(metadata, asked: poolTransport.agreement.metadata,
                                                processDescriptor: try processDescriptor(metadata, after: descriptorCount))
            }
            let owned = Array(descriptors.prefix(received.message.unixFDCount))
            let message = ReceivedMessage(message: received.message, fileDescriptors: owned, senderCredentials: credentials,
                                          memfdPayloads: received.payloads)
            if let timer = core.deliver(message) { loop.cancelTimer(timer) }
            return true
        } catch {
            shutDown("the bus sent an invalid message in the pool: \(error)")
            return false
        }
    }

    /// Whether `count` descriptors are here for the next RECV, reading the socket for them
    /// if not: the broker sends an FDS record completely before it publishes the entry
    /// that claims it (docs/kdbus-transport.md §5.6), so it is already in our socket when
    /// the doorbell is handled before the socket. Reads until they are here or the socket
    /// is empty (one read stops after a message carrying descriptors, and a message may
    /// need two FDS records); still missing is the broker's protocol error.
    private func readDescriptors(atLeast count: Int) -> Bool {
        while waitingDescriptors.count < count {
            guard readOnce(), !finished else { return false }
        }
        return true
    }

    /// The sender's pidfd, which follows the message's fds and memfds in the RECV's
    /// descriptors (docs/kdbus-transport.md §7) when the slice has a pidfd item.
    private func processDescriptor(_ metadata: KDBusMetadata, after count: Int) throws(KDBusTransportError) -> UnixFD? {
        guard let index = metadata.pidfdIndex else { return nil }
        // It came in the same FDS record as the message's own, or alone when there are none.
        guard index == count, readDescriptors(atLeast: 1) else {
            throw .badPayloadItems("pidfd item names descriptor \(index); \(count) were announced and \(waitingDescriptors.count) more arrived")
        }
        return waitingDescriptors.removeFirst()
    }

    // MARK: Ending

    /// Deregisters the socket and tells the core; the thread ends after this turn.
    func shutDown(_ reason: String) {
        guard !finished else { return }
        finished = true
        // Ending before the server said OK is an authentication failure, whatever the cause.
        let reason = sasl != nil && !reason.hasPrefix("authentication failed") ? "authentication failed: \(reason)" : reason
        if let registration { try? loop.deregister(registration) }
        registration = nil
        if let doorbellRegistration { try? loop.deregister(doorbellRegistration) }
        doorbellRegistration = nil
        try? socket.shutdownWriting()
        core.markDisconnected(reason)
        loop.stop()
    }
}
