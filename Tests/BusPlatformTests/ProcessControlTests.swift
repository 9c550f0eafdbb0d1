// Process control tests: identity, clock, descriptor limit, pipes, fork.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct ProcessControlTests {
    @Test func identityMatchesTheCLibrary() {
        #expect(ProcessControl.userID == getuid())
        #expect(ProcessControl.processID == getpid())
    }

    @Test func monotonicClockAdvancesAndMeasuresSleeps() {
        let before = MonotonicInstant.now()
        usleep(10_000)
        let after = MonotonicInstant.now()
        #expect(before.duration(until: after) >= .milliseconds(10))
        #expect(after.duration(until: before) == .zero, "a past instant is zero away, never negative")
    }

    @Test func instantArithmeticSaturates() {
        let late = MonotonicInstant(nanoseconds: .max - 5)
        #expect(late.advanced(by: .seconds(1)).nanoseconds == .max)
        #expect(MonotonicInstant(nanoseconds: 5).advanced(by: .seconds(-1)).nanoseconds == 0)
        #expect(MonotonicInstant(nanoseconds: 1_000).advanced(by: .nanoseconds(-400)).nanoseconds == 600)
    }

    @Test func softDescriptorLimitIsRaisedToHard() throws {
        let raised = try ProcessControl.raiseDescriptorLimitToHard()
        #expect(raised.soft == raised.hard)
        #expect(try ProcessControl.descriptorLimit() == raised)
    }

    @Test func pipeEndsAreCloseOnExecAndCarryBytes() throws {
        let pipe = try Pipe.make(nonBlocking: true)
        #expect(try pipe.readEnd.isCloseOnExec() && pipe.writeEnd.isCloseOnExec())
        #expect(try pipe.readEnd.isNonBlocking())
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: Errno.wouldBlock) { _ = try buffer.withUnsafeMutableBytes { try pipe.readEnd.read(into: $0) } }
        let text = Array("pid".utf8)
        #expect(try text.withUnsafeBytes { try pipe.writeEnd.write($0) } == 3)
        let count = try buffer.withUnsafeMutableBytes { try pipe.readEnd.read(into: $0) }
        #expect(String(decoding: buffer.prefix(count), as: UTF8.self) == "pid")
    }

    @Test func forkedChildStartsItsOwnSessionAndReportsBack() throws {
        let pipe = try Pipe.make()
        // Prepared before fork: the child may only make async-signal-safe calls.
        let writeEnd = pipe.writeEnd.rawValue
        switch try ProcessControl.fork() {
        case .child:
            // Raw calls only: the other threads' locks are frozen in the child.
            var session = setsid()
            _ = write(writeEnd, &session, MemoryLayout<pid_t>.size)
            _exit(0)
        case .parent(let child):
            var session: pid_t = 0
            let count = try withUnsafeMutableBytes(of: &session) { try pipe.readEnd.read(into: $0) }
            let status = try ProcessControl.waitForChild(child)
            #expect(count == MemoryLayout<pid_t>.size)
            #expect(session == child, "setsid makes the child the leader of a new session named after it")
            #expect(status == 0)
        }
    }

    @Test func waitingForANonChildFails() {
        #expect(throws: Errno(rawValue: ECHILD)) { _ = try ProcessControl.waitForChild(1) }
    }
}
