/// Connection Core Monitor: turning a connection into a bus monitor.
import BusPlatform
import DBusWire

/// The stream a monitor connection feeds: every message the bus copies to it.
typealias MonitorStream = AsyncThrowingStream<ReceivedMessage, any Error>

/// A BecomeMonitor call in flight: its serial, and the stream to switch to when it succeeds.
struct MonitorRequest {
    var serial: UInt32
    var continuation: MonitorStream.Continuation
}

extension ConnectionCore {
    /// Calls BecomeMonitor and, on success, routes every later message to the returned
    /// stream. The switch happens on the I/O thread as the reply is read (see `deliver`),
    /// so no message that follows the reply is routed the old way.
    func becomeMonitor(_ message: Message, timeout: Duration) async throws -> MonitorStream {
        let (stream, continuation) = MonitorStream.makeStream(bufferingPolicy: .unbounded)
        // A monitor is useless once nobody reads it; the bus would keep copying traffic to it.
        continuation.onTermination = { [weak self] _ in self?.requestClose() }
        let requested = SerialSlot()
        do {
            _ = try await call(message, fileDescriptors: [], timeout: timeout) { serial, state in
                state.monitorRequest = MonitorRequest(serial: serial, continuation: continuation)
                requested.value.withLock { $0 = serial }
            }
        } catch {
            let serial = requested.value.withLock { $0 }
            state.withLock { state in
                if state.monitorRequest?.serial == serial { state.monitorRequest = nil }
            }
            continuation.finish(throwing: error)
            throw error
        }
        return stream
    }

    /// Makes the requested monitor stream the destination of everything that arrives. Calls
    /// still waiting can never be answered now (replies are no longer matched), and signal
    /// streams and the object server get nothing more: the returned leftovers are ended by
    /// the caller once it has let go of the lock (ending a stream runs its handlers).
    static func enterMonitorMode(_ state: inout State) -> MonitorSwitch {
        guard let request = state.monitorRequest else { return MonitorSwitch() }
        state.monitorRequest = nil
        state.monitor = request.continuation
        state.methodCallHandler = nil
        var ended = MonitorSwitch()
        for (serial, call) in state.pending where serial != request.serial {
            state.pending.removeValue(forKey: serial)
            ended.calls.append(call)
        }
        ended.subscribers = state.subscribers.values.map(\.continuation)
        state.subscribers.removeAll()
        return ended
    }
}

/// What becoming a monitor strands: calls that will never see their reply, signal streams
/// that will never see another signal.
struct MonitorSwitch {
    var calls: [ConnectionCore.PendingCall] = []
    var subscribers: [AsyncStream<ReceivedMessage>.Continuation] = []

    func finish() {
        for call in calls { call.continuation.resume(throwing: ConnectionError.monitoring(member: call.member)) }
        for subscriber in subscribers { subscriber.finish() }
    }
}
