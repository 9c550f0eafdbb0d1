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
    private var wantsWrite = false
    /// The kdbus offer sent with the SASL lines, nil for a classic-only connection.
    private let offer: KDBusOffer?
    /// True while the answer to the offer is unknown: what follows BEGIN depends on it
    /// (classic bytes or arena records), so user messages (Hello first) wait in the core.
    private var holdingMessages: Bool
    /// Set once the connection is down; the thread then leaves its loop.
    private(set) var finished = false

    init(core: ConnectionCore, loop: EventLoop, socket: consuming UnixSocket, sasl: SASLClient, offer: KDBusOffer?) {
        self.core = core
        self.loop = loop
        self.socket = socket
        self.sasl = sasl
        self.offer = offer
        holdingMessages = offer != nil
        outgoing.append(.init(bytes: sasl.start(), fileDescriptors: []))
    }

    /// Registers the socket for reading only; called on the I/O thread before the loop
    /// runs. The SASL lines wait for the wake-up that the first queued message (Hello)
    /// causes, so both leave in one write.
    func start() throws(Errno) {
        registration = try loop.register(socket.descriptor, interest: [.readable], handler: self)
        wantsWrite = false
    }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        if events.contains(.readable) || !events.isDisjoint(with: .hangup) || events.contains(.error) { readAvailable() }
        if !finished && events.contains(.writable) { flush() }
        if !finished && events.contains(.error) { shutDown("socket error") }
    }

    /// Called after every loop turn: picks up messages user tasks queued, and a close request.
    func afterTurn() {
        guard !finished else { return }
        let holding = holdingMessages
        let (more, closeRequested) = core.state.withLock { state -> ([ConnectionCore.Outgoing], Bool) in
            if holding { return ([], state.closeRequested) }
            defer { state.outgoing.removeAll(keepingCapacity: true) }
            return (state.outgoing, state.closeRequested)
        }
        for message in more { enqueue(message) }
        if !outgoing.isEmpty { flush() }
        if closeRequested && !finished {
            shutDown("the connection was closed by this client")
        }
    }

    // MARK: Writing

    /// Queues a message, joining it to the previous one when it carries no descriptors, so
    /// a burst of messages (SASL lines and Hello, above all) leaves in one write. One that
    /// carries descriptors starts a new entry: the kernel attaches them to its first byte.
    private func enqueue(_ message: ConnectionCore.Outgoing) {
        if message.fileDescriptors.isEmpty, !outgoing.isEmpty {
            outgoing[outgoing.count - 1].bytes.append(contentsOf: message.bytes)
        } else {
            outgoing.append(message)
        }
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
        guard wanted != wantsWrite, let registration else { return }
        wantsWrite = wanted
        try? loop.setInterest(wanted ? [.readable, .writable] : [.readable], for: registration)
    }

    // MARK: Reading

    private func readAvailable() {
        for _ in 0..<Self.readsPerEvent {
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
            case .failure(.system(.wouldBlock)): return
            case .failure(let error):
                shutDown("receive failed: \(error)")
                return
            }
            if count == 0 {
                shutDown("the bus closed the connection")
                return
            }
            adoptDescriptors()
            consume(count)
            if finished { return }
        }
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
        deliverCompleteMessages()
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
            holdingMessages = false
            core.state.withLock { $0.unixFDsAgreed = outcome.unixFDsAgreed }
            if case .accepted(let line)? = outcome.extensionReply { startKDBus(agreementLine: line) }
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

    /// The bus agreed to the offer: after BEGIN it speaks only arena and pool records.
    private func startKDBus(agreementLine line: String) {
        guard let offer else { return shutDown("the bus agreed to a kdbus offer this connection never made: \(line)") }
        do {
            _ = try KDBusAgreement(parsingReply: line, offer: offer)
        } catch {
            return shutDown("the bus's kdbus agreement is invalid (\(error)): \(line)")
        }
        shutDown("the bus agreed to the kdbus transport, which this build cannot use yet: \(line)")
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
        try? socket.shutdownWriting()
        core.markDisconnected(reason)
        loop.stop()
    }
}
