// Peer
//
// One client connection: its socket, its stage, and its input and output buffers.
import BusPlatform
import DBusWire

/// A connected client. It reads from its socket into its own buffer, authenticates with
/// SASL, frames and validates each message in place, and hands it to the `Broker` to
/// route; whatever the broker queues for it is written out from its `OutputQueue`.
///
/// A peer never lets bad input reach anyone else: any malformed byte ends this connection
/// (`Broker.disconnect`) with one log line naming the peer and the reason.
final class Peer: IOEventHandler {
    /// Not counted: a peer reaches its broker ~15 times per message, and the broker has a
    /// side table (its timers hold it weakly), so each counted access took the runtime's
    /// slow path (swift_unownedRetainStrong, 8% of the round trip in callgrind).
    /// Invariant: the broker owns every peer (`connections`) and outlives it; a peer's
    /// events are dispatched only by the broker's loop while the broker runs.
    unowned(unsafe) let broker: Broker
    let socket: UnixSocket
    var registration: IORegistration?
    let identity: PeerIdentity
    /// A number for log lines before the peer has a unique name.
    let connectionNumber: UInt64
    var state: PeerState
    /// Set by `Hello`.
    var id: PeerID?
    /// The unique name as bytes, for writing SENDER without building a string.
    var uniqueNameBytes: [UInt8] = []
    var unixFDsNegotiated = false
    var isClosed = false
    /// True while the peer is on the broker's list of peers with output to flush.
    var isPendingFlush = false
    /// True while `.writable` interest is on.
    var isWaitingToWrite = false
    var matchRuleCount = 0
    /// How many of its match rules eavesdrop.
    var eavesdropRuleCount = 0
    /// When fds arrived whose message is not complete yet (monotonic ns), for `pending_fd_timeout`.
    var descriptorsPendingSince: UInt64?
    var isPendingDescriptorTimerArmed = false
    /// Bytes and fds of this peer's messages still queued for receivers (`max_incoming_*`).
    var inFlightBytes = 0
    var inFlightFDs = 0
    /// True while `inFlight*` is at a `max_incoming_*` limit: the socket is not read.
    var isReadThrottled = false
    /// Set the first time it is throttled: one log line per peer, not one per stall.
    var hasBeenThrottled = false
    /// The senders of the messages in `output`.
    var charges = InFlightCharges()

    var input = InputBuffer()
    var receivedDescriptors = ReceivedDescriptors()
    /// What metadata items say about this peer as a sender (`Broker+KDBusMetadata`).
    var senderMetadata = KDBusMetadataSender()
    var output = OutputQueue()
    /// The kdbus transport's state, for a peer upgraded during SASL; nil for classic peers.
    var kdbus: KDBusConnection?

    init(broker: Broker, socket: consuming UnixSocket, identity: consuming PeerIdentity, connectionNumber: UInt64, sasl: SASLServer) {
        self.broker = broker
        self.socket = socket
        self.identity = identity
        self.connectionNumber = connectionNumber
        self.state = .authenticating(sasl)
    }

    /// The name log lines use: the unique name once there is one.
    var logName: String {
        let who = id?.uniqueName ?? "connection #\(connectionNumber)"
        return "\(who) (pid \(identity.process.processID), uid \(identity.process.userID))"
    }

    // MARK: - Events

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        if events.contains(.writable) { broker.flush(self) }
        // A throttled peer is still read on hangup, or level-triggered epoll would spin on it.
        let hungUp = !events.isDisjoint(with: .hangup) || events.contains(.error)
        if !isClosed && ((events.contains(.readable) && !isReadThrottled) || hungUp) {
            readAvailable(evenIfThrottled: hungUp)
        }
        broker.flushPending()
    }

    /// Reads up to `BrokerLimits.readsPerEvent` times, processing what arrived after each read,
    /// so one busy peer cannot hold the loop; level-triggered epoll brings us back for the rest.
    /// A read that did not fill the buffer drained the socket, so no second read is made
    /// just to be told EAGAIN: that `recvmsg` was a quarter of the broker's system calls per
    /// message. Bytes that arrive later, or that the kernel held back at an fd or
    /// credentials boundary, make the socket readable again and bring us back.
    private func readAvailable(evenIfThrottled: Bool) {
        for _ in 0..<BrokerLimits.readsPerEvent {
            if isReadThrottled && !evenIfThrottled { return }
            let drained = readAndProcessOnce()
            if isClosed || drained { return }
        }
    }

    /// One `recvmsg` and the processing of what it brought, in the broker's shared read
    /// buffer when nothing was buffered (see `InputBuffer`); true when the socket had no more.
    func readAndProcessOnce() -> Bool {
        let space = input.freeSpace(sharing: broker.sharedRead)
        defer { input.settle() }
        let received: ReceiveResult
        do {
            received = try socket.receive(into: space, descriptors: &broker.arriving, control: &broker.receiveControl)
        } catch .system(let error) where error == .wouldBlock {
            return true
        } catch .system(let error) where error == .connectionReset {
            broker.disconnect(self, reason: nil)
            return true
        } catch {
            broker.disconnect(self, reason: "receive failed: \(error)")
            return true
        }
        if received.byteCount == 0 {
            if let kdbus { broker.consumeCommands(of: self, connection: kdbus, budget: .max) }  // kdbus hook: SENDs published before the hang-up
            broker.disconnect(self, reason: nil)
            return true
        }
        input.didRead(received.byteCount)
        if let credentials = received.credentials { senderMetadata.lastCredentials = credentials }  // kdbus metadata hook
        if broker.arriving.count > 0 {
            guard unixFDsNegotiated else {
                let count = broker.arriving.count
                broker.arriving.removeAll()  // closes them: the list is shared by every peer
                broker.disconnect(self, reason: "sent \(count) fds without negotiating fd passing")
                return true
            }
            receivedDescriptors.takeAll(from: &broker.arriving)
        }
        processInput()
        return received.byteCount < space.count
    }

    private func processInput() {
        if case .authenticating = state {
            authenticate()
            if isClosed { return }
            if case .authenticating = state { return }
        }
        if let kdbus {
            // kdbus hook: classic messages (Hello first) until ARENA, records only from it on.
            if !kdbus.hasArena {
                processMessages(untilRecord: true)
                if isClosed { return }
            }
            broker.processRecords(from: self)
        } else {
            processMessages()
        }
        // After messages AND records: ARENA's memfd or a SEND's fds, claimed by a record, end
        // a pending period just as a classic message's do.
        checkDescriptorsPending()
    }

    /// Starts or ends the pending-fd period (`pending_fd_timeout`) when whether this peer
    /// holds unclaimed fds changed: after its input is processed, and after a pass over its
    /// kdbus command ring (whose SENDs claim fds too).
    func checkDescriptorsPending() {
        if !isClosed && (receivedDescriptors.count > 0) != (descriptorsPendingSince != nil) {
            broker.descriptorsPendingChanged(self)
        }
    }

    /// True when `byte` can start a classic D-Bus message (its endianness mark). A record's
    /// first byte is the low byte of its kind (1…6), so the two cannot be confused
    /// (docs/kdbus-transport.md §5).
    private static func startsClassicMessage(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "l") || byte == UInt8(ascii: "B")
    }

    // MARK: - SASL

    private func authenticate() {
        guard case .authenticating(var sasl) = state else { return }
        let step: SASLServer.Step
        do throws(SASLError) {
            step = try sasl.feed(input.unread)
        } catch {
            if !error.finalReply.isEmpty { error.finalReply.withUnsafeBytes { output.append($0) }; broker.flush(self) }
            broker.disconnect(self, reason: "authentication failed: \(error)")
            return
        }
        if !step.reply.isEmpty {
            step.reply.withUnsafeBytes { output.append($0) }
            broker.scheduleFlush(self)
        }
        guard let outcome = step.outcome else {
            state = .authenticating(sasl)
            input.consume(input.unread.count)
            return
        }
        input.consume(outcome.consumedBytes)
        unixFDsNegotiated = outcome.unixFDsNegotiated
        state = .awaitingHello
        broker.peerAuthenticated(self)
        // kdbus hook: the client asked for the transport and got an AGREE.
        if !isClosed, let agreement = (sasl.commandExtension as? KDBusNegotiator)?.agreement {
            broker.receiverWantsMetadata(agreement.metadata)
            broker.upgradeToKDBus(self, agreement: agreement)
        }
    }

    // MARK: - Messages

    /// Frames, validates and routes every complete message in the buffer. With
    /// `untilRecord` (an upgraded peer before its ARENA) it stops at the first byte that
    /// cannot start a message and leaves the rest to the record decoder.
    private func processMessages(untilRecord: Bool = false) {
        while !isClosed {
            let unread = input.unread
            if untilRecord, let first = unread.first, !Self.startsClassicMessage(first) { break }
            let length: Int
            do throws(WireError) {
                guard let framed = try MessageFraming.messageLength(prefix: unread) else { break }
                length = framed
            } catch {
                broker.disconnect(self, reason: "malformed message header: \(error)")
                return
            }
            if length > broker.limits.maxMessageSize {
                broker.disconnect(self, reason: "message of \(length) bytes exceeds max_message_size=\(broker.limits.maxMessageSize)")
                return
            }
            guard unread.count >= length else {
                input.reserve(messageLength: length)
                break
            }
            let bytes = UnsafeRawBufferPointer(rebasing: unread[0..<length])
            let view: MessageHeaderView
            do throws(WireError) {
                view = try MessageHeaderView(validating: bytes, unixFDsReceived: receivedDescriptors.count)
            } catch {
                broker.disconnect(self, reason: "invalid message: \(error)")
                return
            }
            if view.unixFDCount > broker.limits.maxMessageUnixFDs {
                broker.disconnect(self, reason: "message carries \(view.unixFDCount) fds, max_message_unix_fds=\(broker.limits.maxMessageUnixFDs)")
                return
            }
            broker.route(view, from: self)
            receivedDescriptors.dropFirst(view.unixFDCount)
            input.consume(length)
        }
        if !isClosed && input.isEmpty && receivedDescriptors.count > 0 {
            broker.disconnect(self, reason: "sent \(receivedDescriptors.count) fds that no message declared (UNIX_FDS mismatch)")
        }
    }
}
