// Doorbell tests: a ring wakes, a full pipe is a pending wake-up, end of file is seen, the eventfd's edges need no draining.
import CSwiftBusShims
import Glibc
import Testing
@testable import BusPlatform

@Suite struct DoorbellTests {
    /// All four ends of one connection's doorbells, the client's adopted as a client would.
    private struct Ends: ~Copyable {
        var toClient: DoorbellRinger
        var fromClient: EdgeTriggeredDoorbell
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
        // A ring is 8 bytes: two rings, 16.
        #expect(try ends.clientWakes.drain() == .rang(count: 16))
    }

    /// The broker never reads its eventfd: each ring must still be one edge, and a turn with
    /// no ring must report nothing (else the broker would spin or need a drain `read`).
    @Test func everyClientRingIsOneEdgeWithoutDraining() throws {
        let ends = try Ends()
        let epoll = FileDescriptor(owning: epoll_create1(CInt(EPOLL_CLOEXEC)))
        var event = epoll_event(events: EdgeTriggeredDoorbell.interest.epollMask, data: epoll_data_t(u64: 7))
        #expect(epoll_ctl(epoll.rawValue, EPOLL_CTL_ADD, ends.fromClient.descriptor.rawValue, &event) == 0)
        func readyCount() -> CInt {
            var ready = epoll_event()
            return epoll_wait(epoll.rawValue, &ready, 1, 0)
        }
        #expect(readyCount() == 0)
        for round in 0..<3 {
            let rang = ends.clientRings.ring() && ends.clientRings.ring()
            #expect(rang)
            #expect(readyCount() == 1, "round \(round): the rings are an edge")
            #expect(readyCount() == 0, "round \(round): reported once, with nothing read")
        }
    }

    /// A client that saturates the counter only loses its own rings; its writes fail with
    /// EAGAIN, which `ring` counts as rung, and the broker's end is untouched.
    @Test func aSaturatedCounterIsAPendingWakeUp() throws {
        let ends = try Ends()
        var nearlyMax: UInt64 = .max - 1
        _ = try withUnsafeBytes(of: &nearlyMax) { try ends.clientRings.descriptor.write($0) }
        let rang = ends.clientRings.ring()
        #expect(rang, "EAGAIN counts as rung")
        #expect(try ends.fromClient.descriptor.isNonBlocking())
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
        let allRang = (0..<capacity / 8).allSatisfy { _ in ends.toClient.ring() }
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
        let listener = ends.clientWakes
        do {
            let ringer = ends.toClient
            let rang = ringer.ring()
            #expect(rang)
        }
        #expect(try listener.drain() == .rang(count: 8))
        #expect(try listener.drain() == .closed)
    }
}
