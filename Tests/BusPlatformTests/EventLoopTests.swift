// Event loop tests: readiness, interest, timers, wake-ups, stop, signals, allocations.
import Glibc
import Synchronization
import Testing
@testable import BusPlatform

/// Reads whatever is ready into a fixed buffer and counts calls, allocating nothing.
final class DrainingHandler: IOEventHandler {
    let socket: UnixSocket
    var calls = 0
    var bytes = 0
    var lastEvents: IOEvents = []
    private var buffer = [UInt8](repeating: 0, count: 256)
    private var list = DescriptorList()
    private var control = ControlBuffer(maxDescriptors: 1, credentials: false)

    init(_ socket: consuming UnixSocket) { self.socket = socket }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        calls += 1
        lastEvents = events
        guard events.contains(.readable) else { return }
        let count = buffer.withUnsafeMutableBytes { raw in
            (try? socket.receive(into: raw, descriptors: &list, control: &control).byteCount) ?? 0
        }
        bytes += count
    }
}

/// Runs an action for every event; for tests that change registrations from a callback.
final class ClosureHandler: IOEventHandler {
    let action: (IOEvents, EventLoop) -> Void
    init(_ action: @escaping (IOEvents, EventLoop) -> Void) { self.action = action }
    func handleEvents(_ events: IOEvents, in loop: EventLoop) { action(events, loop) }
}

@Suite struct EventLoopTests {
    private let shortWait = Duration.milliseconds(50)

    @Test func readableSocketCallsItsHandler() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let writer = pair.first
        let handler = DrainingHandler(pair.second)
        _ = try loop.register(handler.socket.descriptor, interest: .readable, handler: handler)

        try loop.runOnce(maximumWait: shortWait)
        #expect(handler.calls == 0, "nothing to read yet")
        #expect(try sendText("abc", over: writer) == 3)
        try loop.runOnce(maximumWait: shortWait)
        #expect(handler.calls == 1)
        #expect(handler.bytes == 3)
        #expect(handler.lastEvents.contains(.readable))
    }

    @Test func levelTriggeredReportsAgainUntilDrained() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let writer = pair.first
        let reader = pair.second
        var calls = 0
        let handler = ClosureHandler { _, _ in calls += 1 }  // reads nothing
        _ = try loop.register(reader.descriptor, interest: .readable, handler: handler)
        #expect(try sendText("x", over: writer) == 1)
        try loop.runOnce(maximumWait: shortWait)
        try loop.runOnce(maximumWait: shortWait)
        #expect(calls == 2, "unread data must be reported on every turn")
    }

    @Test func writableInterestCanBeEnabledAndDisabled() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let socket = pair.first
        var seen: [IOEvents] = []
        let handler = ClosureHandler { events, _ in seen.append(events) }
        let registration = try loop.register(socket.descriptor, interest: .readable, handler: handler)
        try loop.runOnce(maximumWait: shortWait)
        #expect(seen.isEmpty, "an idle socket with only read interest is quiet")

        try loop.setInterest([.readable, .writable], for: registration)
        try loop.runOnce(maximumWait: shortWait)
        #expect(seen.count == 1 && seen[0].contains(.writable))

        try loop.setInterest(.readable, for: registration)
        try loop.runOnce(maximumWait: shortWait)
        #expect(seen.count == 1)
        _ = pair.second
    }

    @Test func peerHangupIsReported() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let socket = pair.first
        var seen: IOEvents = []
        let handler = ClosureHandler { events, _ in seen = events }
        _ = try loop.register(socket.descriptor, interest: .readable, handler: handler)
        do { let peer = pair.second; _ = peer }
        try loop.runOnce(maximumWait: shortWait)
        #expect(!seen.isDisjoint(with: .hangup))
    }

    @Test func deregisteredDescriptorIsNoLongerReported() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let writer = pair.first
        let handler = DrainingHandler(pair.second)
        let registration = try loop.register(handler.socket.descriptor, interest: .readable, handler: handler)
        try loop.deregister(registration)
        #expect(try sendText("abc", over: writer) == 3)
        try loop.runOnce(maximumWait: shortWait)
        #expect(handler.calls == 0)
        #expect(throws: Errno.badDescriptor) {
            try loop.deregister(registration)
        }
    }

    @Test func handlerDeregisteringAnotherInTheSameTurnSuppressesItsEvent() throws {
        let loop = try EventLoop()
        let first = try UnixSocket.pair()
        let second = try UnixSocket.pair()
        let firstReader = first.second
        let secondReader = second.second
        var calls = 0
        var registrations: [IORegistration] = []
        let handler = ClosureHandler { _, loop in
            calls += 1
            // Whichever fires first removes both; the other's pending event must be dropped.
            for registration in registrations { try? loop.deregister(registration) }
        }
        registrations.append(try loop.register(firstReader.descriptor, interest: .readable, handler: handler))
        registrations.append(try loop.register(secondReader.descriptor, interest: .readable, handler: handler))
        #expect(try sendText("1", over: first.first) == 1)
        #expect(try sendText("2", over: second.first) == 1)
        try loop.runOnce(maximumWait: shortWait)
        #expect(calls == 1)
        try loop.runOnce(maximumWait: shortWait)
        #expect(calls == 1, "both left epoll: no more events")
    }

    @Test func deregisteringAClosedDescriptorReleasesItsSlot() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let handler = ClosureHandler { _, _ in }
        let registration: IORegistration
        do {
            let socket = pair.first
            registration = try loop.register(socket.descriptor, interest: .readable, handler: handler)
        }
        try loop.deregister(registration)
        #expect(throws: Errno.badDescriptor) { try loop.deregister(registration) }
        _ = pair.second
    }

    @Test func registeringTheSameDescriptorTwiceFails() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let handler = ClosureHandler { _, _ in }
        _ = try loop.register(pair.first.descriptor, interest: .readable, handler: handler)
        #expect(throws: Errno(rawValue: EEXIST)) {
            _ = try loop.register(pair.first.descriptor, interest: .readable, handler: handler)
        }
    }

    @Test func timersFireInDeadlineOrderNotInsertionOrder() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        let start = MonotonicInstant.now()
        for (label, delayMilliseconds) in [(3, 30), (1, 10), (2, 20), (4, 30)] {
            loop.addTimer(at: start.advanced(by: .milliseconds(delayMilliseconds))) { _ in fired.append(label) }
        }
        while fired.count < 4 { try loop.runOnce(maximumWait: .seconds(1)) }
        #expect(fired == [1, 2, 3, 4], "earliest first; equal deadlines in the order added")
        let elapsed = start.duration(until: MonotonicInstant.now())
        #expect(elapsed >= .milliseconds(30), "a timer never fires before its deadline")
    }

    @Test func cancelledTimersDoNotFire() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        let cancelled = loop.addTimer(after: .milliseconds(5)) { _ in fired.append("cancelled") }
        loop.addTimer(after: .milliseconds(10)) { _ in fired.append("kept") }
        #expect(loop.cancelTimer(cancelled))
        #expect(!loop.cancelTimer(cancelled), "a second cancel reports the timer is gone")
        while fired.isEmpty { try loop.runOnce(maximumWait: .seconds(1)) }
        try loop.runOnce(maximumWait: .milliseconds(20))
        #expect(fired == ["kept"])
    }

    @Test func timerCanCancelAnotherDueInTheSameTurn() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        let deadline = MonotonicInstant.now()
        var second: TimerID?
        loop.addTimer(at: deadline) { loop in
            fired.append("first")
            if let second { loop.cancelTimer(second) }
        }
        second = loop.addTimer(at: deadline) { _ in fired.append("second") }
        try loop.runOnce(maximumWait: .zero)
        try loop.runOnce(maximumWait: .zero)
        #expect(fired == ["first"])
    }

    @Test func timerReArmingForNowWaitsForTheNextTurn() throws {
        let loop = try EventLoop()
        var count = 0
        func rearm(_ loop: EventLoop) {
            count += 1
            loop.addTimer(at: MonotonicInstant.now(), rearm)
        }
        loop.addTimer(at: MonotonicInstant.now(), rearm)
        try loop.runOnce(maximumWait: .zero)
        #expect(count == 1)
        try loop.runOnce(maximumWait: .zero)
        #expect(count == 2)
    }

    @Test func anotherThreadCanPostWorkAndStopTheLoop() throws {
        let loop = try EventLoop()
        let waker = loop.waker
        let ran = Atomic<Int>(0)
        let started = MonotonicInstant.now()
        // The loop has nothing else to do: only the waker can end `run`.
        onNewThread {
            usleep(20_000)
            waker.post { _ in ran.add(1, ordering: .relaxed) }
            waker.post { loop in loop.stop() }
        }
        try loop.run()
        #expect(ran.load(ordering: .relaxed) == 1)
        #expect(started.duration(until: MonotonicInstant.now()) < .seconds(5))
    }

    @Test func wakerStopEndsRunFromAnotherThread() throws {
        let loop = try EventLoop()
        let waker = loop.waker
        let thread = ThreadRunner { usleep(20_000); waker.stop() }
        try loop.run()
        thread.join()
        // A stopped loop can run again: the request was consumed.
        loop.addTimer(at: MonotonicInstant.now()) { loop in loop.stop() }
        try loop.run()
    }

    @Test func signalsArriveAsLoopEvents() {
        // Signals are blocked per thread, so this runs on a thread of its own.
        let received = Mutex<[CInt]>([])
        onNewThread {
            do {
                let loop = try EventLoop()
                try loop.watchSignals([SIGUSR1, SIGUSR2]) { signal, loop in
                    received.withLock { $0.append(signal) }
                    if signal == SIGUSR2 { loop.stop() }
                }
                pthread_kill(pthread_self(), SIGUSR1)
                pthread_kill(pthread_self(), SIGUSR2)
                try loop.run()
            } catch {
                Issue.record("signal loop failed: \(error)")
            }
        }
        #expect(received.withLock { $0 } == [SIGUSR1, SIGUSR2])
    }
}

/// A pthread started now and joined later.
final class ThreadRunner: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
        let created = pthread_create(&thread, nil, { argument in
            Unmanaged<ThreadRunner>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(created == 0)
    }

    func join() { pthread_join(thread, nil) }
}
