// Signal Workloads: one emitter, many subscribers, and a count of what arrived.
import DBusWire
import Glibc

/// Broadcast delivery: `subscribe` holds many connections that each match the Tick signal
/// (optionally beside a connection full of rules that match nothing); `emit` sends the
/// ticks and a final Done. The subscriber process acknowledges each burst once its slowest
/// connection has it, and the emitter stays a few bursts ahead: end-to-end flow control, so
/// the figure is the delivery rate a bus sustains, and any loss is the bus's own doing.
/// Both print monotonic times, so the runner can compute deliveries per second from the
/// emitter's first send to the last subscriber's Done.
struct SignalWorkloads {
    let address: String

    func subscribe(connections count: Int, noiseRules: Int) throws(BenchError) {
        var subscribers: [BusConnection] = []
        for _ in 0..<count {
            let connection = try BusConnection(address: address)
            try connection.callDriver("AddMatch", [.string(BenchProtocol.tickRule)])
            subscribers.append(connection)
        }
        var noise: BusConnection? = nil
        if noiseRules > 0 {
            noise = try BusConnection(address: address)
            try noise!.addMatches((0..<noiseRules).map(BenchProtocol.noiseRule))
        }
        // Acknowledgements go out on a connection of their own, so they never queue behind ticks.
        let acknowledger = try BusConnection(address: address)
        var ack = try EncodedMessage(BenchProtocol.acknowledgement)
        print("ready")
        fflushStandardOutput()

        var progress = SubscriberProgress(subscribers: count, burst: BenchLimits.signalBurst)
        var done = [Bool](repeating: false, count: count)
        var doneCount = 0
        var disconnected = 0
        var firstTick: UInt64 = 0
        var lastDone: UInt64 = 0
        var descriptors = subscribers.map { pollfd(fd: $0.socket.descriptor.rawValue, events: Int16(POLLIN), revents: 0) }
        while doneCount < count {
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(BenchLimits.subscriberIdleTimeoutSeconds * 1000))
            if ready == 0 { break }
            if ready < 0 { continue }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                let connection = subscribers[index]
                do { try connection.fill() } catch {
                    // A bus may drop a subscriber it cannot keep up with: what it missed counts as lost.
                    descriptors[index].fd = -1
                    disconnected += 1
                    doneCount += done[index] ? 0 : 1
                    done[index] = true
                    if progress.remove(index) { try ack.send(on: acknowledger) }
                    continue
                }
                while connection.hasBufferedMessage {
                    let message = try connection.nextMessage()
                    guard message.type == .signal, let member = message.string(.member) else { continue }
                    if member == BenchProtocol.tick {
                        if firstTick == 0 { firstTick = Clock.nanoseconds() }
                        if progress.recordTick(on: index) { try ack.send(on: acknowledger) }
                    } else if member == BenchProtocol.done, !done[index] {
                        done[index] = true
                        doneCount += 1
                        lastDone = Clock.nanoseconds()
                    }
                }
            }
        }
        withExtendedLifetime(noise) {}
        var line = ResultLine()
        line.add("received", progress.totalTicks)
        line.add("completed", doneCount - disconnected)
        line.add("disconnected", disconnected)
        line.add("first_ns", firstTick)
        line.add("end_ns", lastDone)
        line.print()
    }

    /// Sends `count` ticks in bursts, staying at most `BenchLimits.burstsInFlight` bursts
    /// ahead of the subscribers' acknowledgements; if none comes for the idle timeout (a bus
    /// lost ticks, so the slowest subscriber never completes its burst), it carries on
    /// unpaced and the subscribers report the loss.
    func emit(count: Int, payload: Int) throws(BenchError) {
        let connection = try BusConnection(address: address)
        try connection.callDriver("AddMatch", [.string(BenchProtocol.acknowledgementRule)])
        var tick = try EncodedMessage(BenchProtocol.signal(BenchProtocol.tick, payload: payload))
        var done = try EncodedMessage(BenchProtocol.signal(BenchProtocol.done, payload: 0))
        var acknowledged = 0
        var paced = true
        let start = Clock.nanoseconds()
        for index in 0..<count {
            try tick.send(on: connection)
            let burstsSent = (index + 1) / BenchLimits.signalBurst
            while paced, burstsSent - acknowledged > BenchLimits.burstsInFlight {
                guard try connection.waitForMessage(seconds: BenchLimits.subscriberIdleTimeoutSeconds) else {
                    paced = false
                    break
                }
                let message = try connection.nextMessage()
                if message.type == .signal { acknowledged += 1 }
            }
        }
        try done.send(on: connection)
        try connection.callDriver("GetId")
        var line = ResultLine()
        line.add("start_ns", start)
        line.add("end_ns", Clock.nanoseconds())
        line.add("paced", paced ? 1 : 0)
        line.print()
    }
}

extension BusConnection {
    /// Installs `rules` with AddMatch, `BenchLimits.setupBatch` calls at a time.
    func addMatches(_ rules: [String]) throws(BenchError) {
        try callInBatches(rules.map { BenchProtocol.driverCall("AddMatch", [.string($0)]) }, awaitingReplies: true)
    }

    /// Sends `messages` in batches; with `awaitingReplies`, reads each batch's replies before
    /// the next (an error reply fails the run), otherwise ends each batch with one driver round
    /// trip, so the bus has routed everything before this returns.
    func callInBatches(_ messages: [Message], awaitingReplies: Bool) throws(BenchError) {
        var index = 0
        while index < messages.count {
            let batch = messages[index..<min(index + BenchLimits.setupBatch, messages.count)]
            var bytes: [UInt8] = []
            var serials: [UInt32] = []
            for message in batch {
                let serial = takeSerial()
                serials.append(serial)
                bytes += try encode(message, serial: serial)
            }
            try sendAll(bytes)
            if awaitingReplies {
                for serial in serials {
                    let reply = try awaitReply(to: serial)
                    if reply.type == .error { throw .protocolViolation("call \(index) of \(messages.count): \(describe(reply))") }
                }
            } else {
                try callDriver("GetId")
            }
            index += batch.count
        }
    }
}
