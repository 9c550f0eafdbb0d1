// Doorbell tests: a ring wakes, a full pipe is a pending wake-up, end of file is seen.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct DoorbellTests {
    /// All four ends of one connection's doorbells, the client's adopted as a client would.
    private struct Ends: ~Copyable {
        var toClient: DoorbellRinger
        var fromClient: DoorbellListener
        var clientWakes: DoorbellListener
        var clientRings: DoorbellRinger

        init() throws {
            let bells = try BrokerDoorbells.make()
            toClient = bells.toClient
            fromClient = bells.fromClient
            clientWakes = DoorbellListener(adopting: bells.clientEnds.wakesClient)
            clientRings = DoorbellRinger(adopting: bells.clientEnds.ringsBroker)
        }
    }

    @Test func ringIsReadByTheOtherEnd() throws {
        let ends = try Ends()
        #expect(try ends.clientWakes.drain() == .quiet)
        let rang = ends.toClient.ring() && ends.toClient.ring()
        #expect(rang)
        #expect(try ends.clientWakes.drain() == .rang(count: 2))
        let clientRang = ends.clientRings.ring()
        #expect(clientRang)
        #expect(try ends.fromClient.drain() == .rang(count: 1))
    }

    @Test func brokerEndsAreNonBlockingAndCloseOnExec() throws {
        let ends = try Ends()
        #expect(try ends.toClient.descriptor.isNonBlocking() && ends.fromClient.descriptor.isNonBlocking())
        #expect(try ends.toClient.descriptor.isCloseOnExec() && ends.clientWakes.descriptor.isCloseOnExec())
    }

    @Test func aFullPipeIsAPendingWakeUpNotAnError() throws {
        let ends = try Ends()
        // F_GETPIPE_SZ (Linux fcntl.h, 1032) is behind _GNU_SOURCE, so Glibc does not export it.
        let getPipeSize: CInt = 1032
        let capacity = Int(fcntl(ends.toClient.descriptor.rawValue, getPipeSize))
        #expect(capacity > 0 && capacity <= 1 << 20)
        let allRang = (0..<capacity).allSatisfy { _ in ends.toClient.ring() }
        #expect(allRang)
        var byte: UInt8 = 1
        #expect(throws: Errno.wouldBlock, "the pipe is full now") {
            _ = try withUnsafeBytes(of: &byte) { try ends.toClient.descriptor.write($0) }
        }
        let rangWhenFull = ends.toClient.ring()
        #expect(rangWhenFull, "EAGAIN counts as rung")
        #expect(try ends.clientWakes.drain() == .rang(count: DoorbellLimits.drainBytes), "one drain reads at most 256 bytes")
    }

    @Test func endOfFileIsSeenWhenTheRingerIsGone() throws {
        let ends = try Ends()
        let listener = ends.fromClient
        do {
            let ringer = ends.clientRings
            let rang = ringer.ring()
            #expect(rang)
        }
        #expect(try listener.drain() == .rang(count: 1))
        #expect(try listener.drain() == .closed)
    }
}
