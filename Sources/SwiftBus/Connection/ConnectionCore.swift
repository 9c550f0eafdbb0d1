/// Connection Core
import BusPlatform
import DBusWire
import Synchronization

/// The state a connection's user-facing side and its I/O thread share, behind one lock:
/// serials, the queue of messages to send, calls awaiting replies, signal subscribers and
/// whether the connection is still up. User tasks only ever take the lock briefly and wake
/// the I/O thread; the I/O thread resolves continuations and yields to streams, so user
/// code never runs on it.
final class ConnectionCore: Sendable {
    /// A message marshalled and waiting for the I/O thread.
    struct Outgoing: Sendable {
        var bytes: [UInt8]
        var fileDescriptors: [UnixFD]
        /// Memfds the kdbus transport may pass for the message's large byte arrays.
        var payloads: [MemfdPayload] = []
        /// On the kdbus transport, the large byte arrays left out of `bytes`, sent as memfds.
        var holes: [WireHole] = []
    }

    /// A call waiting for its reply.
    struct PendingCall {
        var continuation: CheckedContinuation<ReceivedMessage, any Error>
        var timer: TimerID?
        var destination: String?
        var member: String
        var timeout: Duration
    }

    /// A local receiver of signals that satisfy `rule`.
    struct Subscriber {
        var rule: MatchRule
        var continuation: AsyncStream<ReceivedMessage>.Continuation
    }

    struct State {
        var nextSerial: UInt32 = 1
        var outgoing: [Outgoing] = []
        var pending: [UInt32: PendingCall] = [:]
        var subscribers: [UInt64: Subscriber] = [:]
        /// Owners of the well-known names that subscribers' rules name as sender, kept
        /// current from NameOwnerChanged: the bus matches such rules against the owner, and
        /// the local routing has to do the same.
        var trackedOwners: [String: TrackedOwner] = [:]
        var nextSubscriberID: UInt64 = 0
        var disconnectReason: String?
        var closeRequested = false
        var disconnectWaiters: [CheckedContinuation<Void, Never>] = []
        var methodCallHandler: (@Sendable (ReceivedMessage) -> Void)?
        var unixFDsAgreed = false
        /// Set by the I/O thread when authentication ends, before Hello is sent.
        var transport = ConnectionTransport.classic
        /// On the kdbus transport, the agreed size from which a byte array is a memfd part.
        var memfdThreshold = Int.max
        /// Broadcasts the bus dropped for this connection because its pool was full.
        var broadcastsLost: UInt64 = 0
        var lossSubscribers: [UInt64: AsyncStream<BroadcastLoss>.Continuation] = [:]
        /// While true the I/O thread stops reading the socket and, on the kdbus transport,
        /// the RECV ring (it still writes): what a stalled receiver looks like to the bus.
        /// For tests of what the bus does then.
        var receivingPaused = false
        /// Times a message found the send arena full and waited for the broker: a figure for
        /// tests and tuning (the arena size), not a fault.
        var arenaWaits = 0
        /// Times messages or FREEs found the kdbus command ring full (all its entries
        /// unconsumed) and waited for the broker's doorbell: as `arenaWaits`, a figure.
        var commandRingWaits = 0
        /// The BecomeMonitor call in flight and the stream it will feed once the bus agrees.
        var monitorRequest: MonitorRequest?
        /// Set once BecomeMonitor succeeded: every incoming message goes here, and nothing
        /// may be sent any more.
        var monitor: MonitorStream.Continuation?
    }

    let state = Mutex(State())
    let waker: LoopWaker
    init(waker: LoopWaker) { self.waker = waker }

    // MARK: Sending

    /// Assigns the next serial to `message`, marshals it and queues it for the I/O thread.
    func send(_ message: Message, fileDescriptors: [UnixFD] = [], payloads: [MemfdPayload] = []) throws -> UInt32 {
        let serial = try state.withLock { state throws -> UInt32 in
            try Self.enqueue(message, fileDescriptors: fileDescriptors, payloads: payloads, in: &state)
        }
        waker.post { _ in }
        return serial
    }

    /// Marshals and queues under the lock, so serials go out in the order they were given.
    private static func enqueue(
        _ message: Message, fileDescriptors: [UnixFD], payloads: [MemfdPayload] = [], in state: inout State
    ) throws -> UInt32 {
        if let reason = state.disconnectReason { throw ConnectionError.disconnected(reason) }
        if state.monitor != nil { throw ConnectionError.monitoring(member: message.member) }
        if !fileDescriptors.isEmpty && !state.unixFDsAgreed {
            throw ConnectionError.invalidMessage(WireError(.tooManyUnixFDs(fileDescriptors.count), at: 0))
        }
        var message = message
        message.serial = state.nextSerial
        message.unixFDCount = fileDescriptors.count
        // Through the arena, large byte arrays travel as memfds, which lifts D-Bus's limits, and
        // they are left out of the marshalled bytes, not copied in (§8). A MemfdPayload
        // argument goes as its own memfd whatever its size.
        var bytes: [UInt8]
        var holes: [WireHole] = []
        do {
            if state.transport == .kdbus {
                let smallestPayload = payloads.map(\.count).filter { $0 > 0 }.min() ?? .max
                (bytes, holes) = try message.encodedWithHoles(limits: .memfdCarried, holeThreshold: min(state.memfdThreshold, smallestPayload))
            } else {
                bytes = try message.encoded()
            }
        } catch { throw ConnectionError.invalidMessage(error) }
        // Serial 0 is invalid, so the counter skips it when it wraps.
        state.nextSerial = state.nextSerial == .max ? 1 : state.nextSerial + 1
        state.outgoing.append(Outgoing(bytes: bytes, fileDescriptors: fileDescriptors, payloads: payloads, holes: holes))
        return message.serial
    }

    /// Sends a method call and waits for its reply, an error reply, the timeout, the
    /// caller's cancellation or the end of the connection, whichever comes first.
    /// `whenQueued` runs under the lock that queues the call, before any reply can be read.
    func call(
        _ message: Message, fileDescriptors: [UnixFD], payloads: [MemfdPayload] = [], timeout: Duration,
        whenQueued: (@Sendable (UInt32, inout State) -> Void)? = nil
    ) async throws -> ReceivedMessage {
        let serialBox = SerialSlot()
        let reply = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ReceivedMessage, any Error>) in
                do {
                    try registerAndSend(message, fileDescriptors: fileDescriptors, payloads: payloads, timeout: timeout,
                                        continuation: continuation, serialBox: serialBox, whenQueued: whenQueued)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            if let serial = serialBox.value.withLock({ $0 }) { fail(serial, with: ConnectionError.cancelled) }
        }
        if reply.message.type == .error { throw DBusError(reply: reply.message) }
        return reply
    }

    private func registerAndSend(
        _ message: Message, fileDescriptors: [UnixFD], payloads: [MemfdPayload], timeout: Duration,
        continuation: CheckedContinuation<ReceivedMessage, any Error>, serialBox: SerialSlot,
        whenQueued: (@Sendable (UInt32, inout State) -> Void)?
    ) throws {
        if Task.isCancelled { throw ConnectionError.cancelled }
        var message = message
        message.flags.remove(.noReplyExpected)
        // Registering under the lock that queues the message keeps a fast reply from
        // arriving before its pending entry exists.
        let serial = try state.withLock { state throws -> UInt32 in
            let serial = try Self.enqueue(message, fileDescriptors: fileDescriptors, payloads: payloads, in: &state)
            state.pending[serial] = PendingCall(continuation: continuation, timer: nil, destination: message.destination,
                                                member: message.member ?? "", timeout: timeout)
            whenQueued?(serial, &state)
            return serial
        }
        serialBox.value.withLock { $0 = serial }
        waker.post { [self] loop in
            let timer = loop.addTimer(after: timeout) { _ in self.expire(serial) }
            state.withLock { $0.pending[serial]?.timer = timer }
        }
        // Cancelled between the check above and registration: the handler saw no serial.
        if Task.isCancelled { fail(serial, with: ConnectionError.cancelled) }
    }

    /// Fails the call `serial` if it is still waiting.
    func fail(_ serial: UInt32, with error: any Error) {
        let pending = state.withLock { $0.pending.removeValue(forKey: serial) }
        pending?.continuation.resume(throwing: error)
    }

    private func expire(_ serial: UInt32) {
        let pending = state.withLock { $0.pending.removeValue(forKey: serial) }
        guard let pending else { return }
        pending.continuation.resume(
            throwing: ConnectionError.timedOut(destination: pending.destination, member: pending.member, timeout: pending.timeout))
    }

    // MARK: Receiving (on the I/O thread)

    /// Routes one message that arrived. Returns the timer of a completed call so the loop
    /// can cancel it.
    func deliver(_ received: ReceivedMessage) -> TimerID? {
        if let monitor = state.withLock({ $0.monitor }) {
            monitor.yield(received)
            return nil
        }
        let message = received.message
        switch message.type {
        case .methodReturn, .error:
            guard let replySerial = message.replySerial else { return nil }
            let (pending, ended) = state.withLock { state in
                // Switching under the lock, before the next message is read, makes the very
                // next message after the reply the stream's first.
                let ended = message.type == .methodReturn && state.monitorRequest?.serial == replySerial
                    ? Self.enterMonitorMode(&state) : MonitorSwitch()
                return (state.pending.removeValue(forKey: replySerial), ended)
            }
            ended.finish()
            pending?.continuation.resume(returning: received)
            return pending?.timer
        case .signal:
            let view = MessageMatchView(message: message)
            let targets = state.withLock { state in
                Self.noteOwnerChange(message, in: &state)
                return state.subscribers.values.filter { subscriber in
                    subscriber.rule.matches(
                        view,
                        senderMatches: { name in message.sender == name || state.trackedOwners[name]?.owner == message.sender },
                        destinationMatches: { _ in true })
                }.map(\.continuation)
            }
            for target in targets { target.yield(received) }
            return nil
        case .methodCall:
            let handler = state.withLock { $0.methodCallHandler }
            handler?(received)
            return nil
        }
    }

    /// Stops or resumes reading the socket; see `State.receivingPaused`.
    func setReceivingPaused(_ paused: Bool) {
        state.withLock { $0.receivingPaused = paused }
        waker.post { _ in }
    }

    // MARK: Lost broadcasts

    /// Records a BROADCASTS_LOST report and tells every loss stream (on the I/O thread).
    func noteBroadcastsLost(_ count: UInt64, total: UInt64) {
        let targets = state.withLock { state in
            state.broadcastsLost = max(state.broadcastsLost, total)
            return Array(state.lossSubscribers.values)
        }
        let loss = BroadcastLoss(count: count, total: total)
        for target in targets { target.yield(loss) }
    }

    /// A stream of loss reports; it ends with the connection.
    func broadcastLosses() -> AsyncStream<BroadcastLoss> {
        let (stream, continuation) = AsyncStream<BroadcastLoss>.makeStream(bufferingPolicy: .unbounded)
        let id: UInt64? = state.withLock { state in
            if state.disconnectReason != nil { return nil }
            state.nextSubscriberID += 1
            state.lossSubscribers[state.nextSubscriberID] = continuation
            return state.nextSubscriberID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.lossSubscribers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: Subscribers

    /// A well-known name being followed, and how many subscriptions need it.
    struct TrackedOwner {
        var owner: String?
        var users: Int
    }

    private static func noteOwnerChange(_ message: Message, in state: inout State) {
        guard message.sender == BusDriver.busName, message.member == "NameOwnerChanged",
            message.interface == BusDriver.interfaceName, message.body.count == 3,
            case .string(let name) = message.body[0], case .string(let owner) = message.body[2],
            state.trackedOwners[name] != nil
        else { return }
        state.trackedOwners[name]?.owner = owner.isEmpty ? nil : owner
    }

    /// Starts following `name`'s owner; true when this is the first user (the caller then
    /// adds the NameOwnerChanged rule and asks for the current owner).
    func trackOwner(of name: String) -> Bool {
        state.withLock { state in
            state.trackedOwners[name, default: TrackedOwner(owner: nil, users: 0)].users += 1
            return state.trackedOwners[name]?.users == 1
        }
    }

    /// Records the owner GetNameOwner reported, unless a NameOwnerChanged already did.
    func setInitialOwner(_ owner: String?, of name: String) {
        state.withLock { state in
            if state.trackedOwners[name]?.owner == nil { state.trackedOwners[name]?.owner = owner }
        }
    }

    /// Stops following `name`; true when nobody needs it any more (drop the bus rule).
    func untrackOwner(of name: String) -> Bool {
        state.withLock { state in
            guard let tracked = state.trackedOwners[name] else { return false }
            if tracked.users > 1 {
                state.trackedOwners[name]?.users -= 1
                return false
            }
            state.trackedOwners.removeValue(forKey: name)
            return true
        }
    }

    /// Adds a local subscriber for messages matching `rule`; it is removed when the stream ends.
    func subscribe(_ rule: MatchRule) throws -> (id: UInt64, stream: AsyncStream<ReceivedMessage>) {
        let (stream, continuation) = AsyncStream<ReceivedMessage>.makeStream(bufferingPolicy: .unbounded)
        let id = try state.withLock { state throws -> UInt64 in
            if let reason = state.disconnectReason { throw ConnectionError.disconnected(reason) }
            state.nextSubscriberID += 1
            state.subscribers[state.nextSubscriberID] = Subscriber(rule: rule, continuation: continuation)
            return state.nextSubscriberID
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    func unsubscribe(_ id: UInt64) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    var isConnected: Bool { state.withLock { $0.disconnectReason == nil } }

    /// Returns once the connection is down.
    func waitUntilDisconnected() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDown = state.withLock { state in
                if state.disconnectReason != nil { return true }
                state.disconnectWaiters.append(continuation)
                return false
            }
            if alreadyDown { continuation.resume() }
        }
    }

    /// Why the connection ended, or nil while it is up.
    var disconnectReason: String? { state.withLock { $0.disconnectReason } }

    // MARK: Ending

    /// Asks the I/O thread to send what is queued and close.
    func requestClose() {
        state.withLock { $0.closeRequested = true }
        waker.post { _ in }
    }

    /// Marks the connection down and tells everyone waiting: pending calls fail with
    /// `.disconnected`, signal streams finish. Idempotent.
    func markDisconnected(_ reason: String) {
        let (pending, subscribers, waiters, monitor, losses) = state.withLock { state in
            if state.disconnectReason == nil { state.disconnectReason = reason }
            let losses = Array(state.lossSubscribers.values)
            defer {
                state.lossSubscribers.removeAll()
                state.pending.removeAll()
                state.subscribers.removeAll()
                state.outgoing.removeAll()
                state.disconnectWaiters.removeAll()
                state.methodCallHandler = nil
                state.monitor = nil
                state.monitorRequest = nil
            }
            return (Array(state.pending.values), Array(state.subscribers.values), state.disconnectWaiters,
                    state.monitor ?? state.monitorRequest?.continuation, losses)
        }
        for stream in losses { stream.finish() }
        let error = ConnectionError.disconnected(reason)
        for call in pending { call.continuation.resume(throwing: error) }
        for subscriber in subscribers { subscriber.continuation.finish() }
        for waiter in waiters { waiter.resume() }
        // Finished outside the lock: its termination handler asks to close, which locks.
        monitor?.finish()
    }
}

/// The serial of a call being made, shared with its cancellation handler.
final class SerialSlot: Sendable {
    let value = Mutex<UInt32?>(nil)
}
