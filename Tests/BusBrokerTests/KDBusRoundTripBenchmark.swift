// KDBus Round Trip Benchmark: 8-byte call + reply through swiftbusd, pool peers against classic peers.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Testing

/// Not a test: a measurement, run by hand (it takes seconds and its figures depend on the
/// machine). `SWIFTBUS_KDBUS_BENCH=20000 swift test --skip-build --filter KDBusRoundTripBenchmark`
/// prints the mean round trip of each transport; the value is the number of round trips.
/// Add `SWIFTBUS_TEST_SWIFTBUSD=$PWD/.build/release/swiftbusd` (after `swift build -c release
/// --product swiftbusd`) to measure a release broker; the clients here are debug builds.
/// Messages are marshalled once up front, so the loop measures transport and broker, not
/// the test's message codec: both ends move bytes only.
@Suite("kdbus round-trip benchmark", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["SWIFTBUS_KDBUS_BENCH"] != nil))
struct KDBusRoundTripBenchmark {
    static var roundTrips: Int { Int(ProcessInfo.processInfo.environment["SWIFTBUS_KDBUS_BENCH"] ?? "") ?? 20_000 }

    @Test("ring clients (protocol 2) <-> ring clients and classic <-> classic, 8-byte body")
    func roundTrips() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let count = Self.roundTrips
        // SWIFTBUS_KDBUS_BENCH_ONLY=ring or =classic measures one transport (for callgrind:
        // instructions per round trip of one kind).
        let only = ProcessInfo.processInfo.environment["SWIFTBUS_KDBUS_BENCH_ONLY"]
        let pool = only == "classic" ? 0 : try measureRings(count: count, broker: broker)
        let classicCaller = try TestClient(address: broker.address)
        try classicCaller.connect()
        let classicCallee = try TestClient(address: broker.address)
        try classicCallee.connect()
        let classic = only == "ring" ? 0 : try measure(count: count, caller: classicCaller, callee: classicCallee,
                                                       move: { ClassicBytes(classicCaller) }, echo: { ClassicBytes(classicCallee) })
        let disconnects = broker.log.split(separator: "\n").filter { $0.contains("disconnecting") }
        #expect(disconnects.isEmpty, "\(disconnects)")
        print(String(format: "kdbus round trip, %d x 8 bytes: ring<->ring %.1f us, classic<->classic %.1f us (swiftbusd %@)",
                     count, pool * 1e6, classic * 1e6, BrokerProcess.executable.deletingLastPathComponent().lastPathComponent))
    }

    /// Seconds per round trip between two raw ring clients (`KDBusRawClient`, protocol 2:
    /// command ring, RECV ring, doorbells per the wake rule, FREEs held for the next SEND).
    private func measureRings(count: Int, broker: BrokerProcess) throws -> Double {
        func connected() throws -> (RingBytes, String) {
            let raw = try KDBusRawClient(address: broker.address, offer: KDBusOffer(poolSize: 8 * 1024 * 1024, arenaSize: 1024 * 1024))
            try raw.announceArena()
            try raw.sendMessage(try KDBusProtocolErrorTests.hello())
            let text = try raw.nextMessageText()
            let name = try #require(text.firstRange(of: ":1.").map { String(text[$0.lowerBound...].prefix { $0 != "\0" }) })
            while try !raw.nextMessageText().contains("NameAcquired") {}
            return (RingBytes(raw), name)
        }
        let (caller, callerName) = try connected()
        let (callee, calleeName) = try connected()
        let call = try Message.methodCall(path: "/bench", interface: "com.example.Bench", member: "Echo",
                                          destination: calleeName, body: [.uint64(8)], serial: 1_000_000).encoded()
        var reply = Message.methodReturn(replyTo: Message.methodCall(path: "/", member: "Echo", serial: 1_000_000), body: [.uint64(8)],
                                         serial: 1_000_000)
        reply.destination = callerName
        let replyBytes = try reply.encoded()
        let thread = Thread {
            do {
                for _ in 0..<count {
                    try callee.receiveOne()
                    try callee.sendBytes(replyBytes)
                }
            } catch {
                print("echo thread: \(error)")
            }
        }
        thread.start()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count {
            try caller.sendBytes(call)
            try caller.receiveOne()
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(count)
    }

    /// Seconds per round trip; the callee echoes on its own thread.
    private func measure(
        count: Int, caller: any BusTestEndpoint, callee: any BusTestEndpoint,
        move: () throws -> any ByteMover, echo: () throws -> any ByteMover
    ) throws -> Double {
        // Take NameAcquired (it follows the Hello reply) out of the way of the byte loops.
        for client in [caller, callee] { _ = try client.call(driverCall("GetId")) }
        let call = try Message.methodCall(path: "/bench", interface: "com.example.Bench", member: "Echo",
                                          destination: callee.uniqueName, body: [.uint64(8)], serial: 1_000_000).encoded()
        var reply = Message.methodReturn(replyTo: Message.methodCall(path: "/", member: "Echo", serial: 1_000_000), body: [.uint64(8)],
                                         serial: 1_000_000)
        reply.destination = caller.uniqueName
        let replyBytes = try reply.encoded()
        nonisolated(unsafe) let echoer = try echo()
        let mover = try move()
        let thread = Thread {
            do {
                for _ in 0..<count {
                    try echoer.receiveOne()
                    try echoer.sendBytes(replyBytes)
                }
            } catch {
                print("echo thread: \(error)")
            }
        }
        thread.start()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count {
            try mover.sendBytes(call)
            try mover.receiveOne()
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(count)
    }
}

/// Whole messages as bytes, no decoding.
protocol ByteMover {
    func sendBytes(_ bytes: [UInt8]) throws
    func receiveOne() throws
}

/// A raw ring client moving whole messages; each side is used by one thread only.
final class RingBytes: ByteMover, @unchecked Sendable {
    let client: KDBusRawClient
    init(_ client: KDBusRawClient) { self.client = client }
    func sendBytes(_ bytes: [UInt8]) throws { try client.sendMessage(bytes) }
    func receiveOne() throws {
        while true {
            guard case .receive(let receive) = try client.nextEntry() else { continue }
            client.holdFree(receive)
            return
        }
    }
}

final class ClassicBytes: ByteMover {
    let client: TestClient
    private var buffer: [UInt8] = []
    init(_ client: TestClient) { self.client = client }
    func sendBytes(_ bytes: [UInt8]) throws { try client.sendRaw(bytes) }
    func receiveOne() throws {
        while true {
            if let length = try buffer.withUnsafeBytes({ try MessageFraming.messageLength(prefix: $0) }), buffer.count >= length {
                buffer.removeFirst(length)
                return
            }
            buffer += try client.readChunk()
        }
    }
}
