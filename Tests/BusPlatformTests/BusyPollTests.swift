// Busy poll tests: the adaptation rule, and an event loop that polls before it sleeps.
import Glibc
import Synchronization
import Testing
@testable import BusPlatform

@Suite struct BusyPollTests {
    private let microsecond: UInt64 = 1_000

    @Test func quickWakeUpsGrowTheBudgetToItsMaximum() {
        var poll = BusyPoll(maximum: 50 * microsecond)
        #expect(poll.budget == 0, "a new loop does not poll")
        poll.afterSleep(5 * microsecond, woke: true)
        #expect(poll.budget == BusyPoll.firstBudget)
        poll.afterSleep(30 * microsecond, woke: true)
        #expect(poll.budget == 2 * BusyPoll.firstBudget)
        poll.afterSleep(50 * microsecond, woke: true)
        #expect(poll.budget == 4 * BusyPoll.firstBudget)
        poll.afterSleep(1 * microsecond, woke: true)
        #expect(poll.budget == 50 * microsecond, "capped at the maximum")
    }

    @Test func longSleepsAndTimeoutsShrinkItToZero() {
        var poll = BusyPoll(maximum: 80 * microsecond)
        for _ in 0..<4 { poll.afterSleep(0, woke: true) }
        #expect(poll.budget == 80 * microsecond)
        poll.afterSleep(81 * microsecond, woke: true)
        #expect(poll.budget == 40 * microsecond, "a longer poll would not have caught it")
        poll.afterSleep(1 * microsecond, woke: false)
        #expect(poll.budget == 20 * microsecond, "a timeout is not a wake-up a poll could catch")
        poll.afterSleep(1_000_000 * microsecond, woke: true)
        #expect(poll.budget == BusyPoll.firstBudget)
        poll.afterSleep(1_000_000 * microsecond, woke: true)
        #expect(poll.budget == 0, "below the first budget an idle loop stops polling")
    }

    @Test func offNeverPolls() {
        var poll = BusyPoll.off
        poll.afterSleep(0, woke: true)
        #expect(poll.budget == 0)
    }

    /// A message written while the loop polls is dispatched by the poll (counted as caught):
    /// the loop did not sleep. A loop with no budget yet sleeps for it, and that short
    /// sleep grows the budget.
    @Test func aPollingLoopCatchesAMessageWithoutSleeping() throws {
        let loop = try EventLoop()
        let pair = try UnixSocket.pair()
        let writerFD = dup(pair.first.descriptor.rawValue)
        defer { _ = close(writerFD) }
        let handler = DrainingHandler(pair.second)
        _ = try loop.register(handler.socket.descriptor, interest: .readable, handler: handler)
        // A generous maximum: the writer below must land inside the poll even on a loaded machine.
        loop.busyPoll = BusyPoll(maximum: 200_000 * microsecond)

        var writer = ThreadRunner { usleep(2_000); _ = write(writerFD, "x", 1) }
        try loop.runOnce(maximumWait: .seconds(5))
        writer.join()
        #expect(handler.bytes == 1)
        #expect(loop.busyPoll.caught == 0, "no budget yet: the loop slept")
        #expect(loop.busyPoll.budget == BusyPoll.firstBudget, "a 2 ms sleep is within the maximum: grow")

        for _ in 0..<20 { loop.busyPoll.afterSleep(0, woke: true) }
        #expect(loop.busyPoll.budget == 200_000 * microsecond, "doubled up to the maximum")
        writer = ThreadRunner { usleep(2_000); _ = write(writerFD, "y", 1) }
        try loop.runOnce(maximumWait: .seconds(5))
        writer.join()
        #expect(handler.bytes == 2)
        #expect(loop.busyPoll.caught == 1, "the poll found the message")
    }

    @Test func timersStillFireWhilePolling() throws {
        let loop = try EventLoop()
        loop.busyPoll = BusyPoll(maximum: 1_000 * microsecond)
        for _ in 0..<3 { loop.busyPoll.afterSleep(0, woke: true) }
        var fired = false
        _ = loop.addTimer(after: .milliseconds(3)) { _ in fired = true }
        let start = MonotonicInstant.now().nanoseconds
        while !fired && MonotonicInstant.now().nanoseconds - start < 2_000_000_000 {
            try loop.runOnce(maximumWait: .milliseconds(50))
        }
        #expect(fired)
    }

    /// A loop pinned to one CPU polls too: between its non-blocking waits it yields, so a peer
    /// woken onto that CPU runs meanwhile, and the poll catches the peer's answer instead of
    /// sleeping for it. Here the peer is an echo thread on the same CPU. (Threads of their
    /// own: a pin is a thread's.)
    @Test func aLoopPinnedToOneCPUPollsAndItsPeerRunsMeanwhile() throws {
        let exchanges = 200
        let outcome = Mutex<(caught: UInt64, bytes: Int)?>(nil)
        let runner = ThreadRunner {
            do {
                try ProcessControl.pinCurrentThread(toProcessor: 0)
                let loop = try EventLoop()
                let pair = try UnixSocket.pair()
                let echoFD = dup(pair.first.descriptor.rawValue)
                // The pair is non-blocking; the echo blocks in `read` (its own file description).
                _ = fcntl(echoFD, F_SETFL, fcntl(echoFD, F_GETFL) & ~O_NONBLOCK)
                let echo = ThreadRunner {
                    _ = try? ProcessControl.pinCurrentThread(toProcessor: 0)
                    var byte: UInt8 = 0
                    while read(echoFD, &byte, 1) == 1 { _ = write(echoFD, &byte, 1) }
                    _ = close(echoFD)
                }
                let handler = DrainingHandler(pair.second)
                _ = try loop.register(handler.socket.descriptor, interest: .readable, handler: handler)
                // A generous maximum, grown to from nothing by the rule itself (a loop that
                // refused to poll on one CPU would stay at zero and catch nothing).
                loop.busyPoll = BusyPoll(maximum: 200_000 * microsecond)
                let deadline = MonotonicInstant.now().nanoseconds + 20_000_000_000
                for _ in 0..<exchanges {
                    let before = handler.bytes
                    _ = try sendText("x", over: handler.socket)
                    while handler.bytes == before && MonotonicInstant.now().nanoseconds < deadline {
                        try loop.runOnce(maximumWait: .milliseconds(100))
                    }
                }
                outcome.withLock { $0 = (loop.busyPoll.caught, handler.bytes) }
                _ = shutdown(handler.socket.descriptor.rawValue, CInt(SHUT_RDWR))
                echo.join()
            } catch {
                Issue.record("event loop: \(error)")
            }
        }
        runner.join()
        let seen = try #require(outcome.withLock { $0 })
        #expect(seen.bytes == exchanges)
        #expect(seen.caught >= UInt64(exchanges / 2), "pinned, the poll caught \(seen.caught) of \(exchanges) answers")
    }
}
