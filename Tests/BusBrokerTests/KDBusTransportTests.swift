// KDBus Transport Tests: negotiation and routing between classic and pool peers of a real swiftbusd.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Testing

/// What the routing tests need from either kind of client.
protocol BusTestEndpoint: AnyObject {
    var uniqueName: String { get }
    var receivedDescriptors: [CInt] { get }
    @discardableResult func send(_ message: Message, fds: [CInt]) throws -> UInt32
    func receive(where predicate: (Message) -> Bool) throws -> Message
    func call(_ message: Message) throws -> Message
}

extension TestClient: BusTestEndpoint {}

extension KDBusTestClient: BusTestEndpoint {
    @discardableResult func send(_ message: Message, fds: [CInt]) throws -> UInt32 { try send(message, fds: fds, priority: 0) }
}

enum EndpointKind: String, CaseIterable, CustomTestStringConvertible {
    case classic, pool
    var testDescription: String { rawValue }

    func connect(to broker: BrokerProcess) throws -> any BusTestEndpoint {
        switch self {
        case .classic:
            let client = try TestClient(address: broker.address)
            try client.connect()
            return client
        case .pool:
            return try KDBusTestClient(address: broker.address)
        }
    }
}

@Suite("kdbus transport through swiftbusd", .serialized)
struct KDBusTransportTests {
    @Test("negotiation: sizes lowered to the broker's caps and rounded to pages, metadata kept")
    func negotiationGrants() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let path = broker.socketPath
        let large = try KDBusChannel.connect(
            to: .path(path), offer: KDBusOffer(poolSize: 1 << 40, arenaSize: 1 << 30, memfdThreshold: 4096, metadata: [.credentials, .timestamp]))
        #expect(large.agreement.poolSize == KDBusLimits.maxPoolSize)
        #expect(large.agreement.arenaSize == KDBusLimits.maxArenaSize)
        #expect(large.agreement.memfdThreshold == 4096)
        #expect(large.agreement.metadata == [.credentials, .timestamp])
        let odd = try KDBusChannel.connect(to: .path(path), offer: KDBusOffer(poolSize: 100_000, arenaSize: 70_000))
        #expect(odd.agreement.poolSize == 102_400)
        #expect(odd.agreement.arenaSize == 73_728)
        #expect(odd.agreement.metadata == [])
    }

    @Test("negotiation: without NEGOTIATE_UNIX_FD, or with a bad line, the answer is ERROR and the client stays classic")
    func negotiationRefused() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        for (fds, line) in [(false, KDBusOffer().commandLine), (true, "SWIFTBUS_KDBUS version=1 pool=65536 arena=65536 threshold=4096 metadata=none"),
                            (true, "SWIFTBUS_KDBUS version=3 pool=65536 arena=65536 threshold=4096 metadata=bogus")] {
            let client = try TestClient(address: broker.address)
            var sasl = SASLClient(credential: .uid(getuid()), negotiateUnixFDs: fds, extensionCommand: line)
            try client.sendRaw(sasl.start())
            var outcome: SASLClientOutcome?
            var leftover: [UInt8] = []
            while outcome == nil {
                let chunk = try client.readChunk()
                outcome = try sasl.feed(chunk).outcome
                if let outcome { leftover = Array(chunk[outcome.consumedBytes...]) }
            }
            guard case .refused(let text)? = outcome?.extensionReply else {
                Issue.record("\(line): expected ERROR, got \(String(describing: outcome?.extensionReply))")
                continue
            }
            #expect(!text.isEmpty)
            #expect(leftover.isEmpty, "a refused client gets no POOL record")
            // Still a working classic connection.
            let hello = try client.call(driverCall("Hello"))
            #expect(hello.type == .methodReturn)
        }
    }

    @Test("call, reply, error and signals with fds between every pair of classic and pool peers", arguments: [
        (EndpointKind.classic, EndpointKind.pool), (.pool, .classic), (.pool, .pool), (.classic, .classic),
    ])
    func routingCombinations(callerKind: EndpointKind, calleeKind: EndpointKind) throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let caller = try callerKind.connect(to: broker)
        let callee = try calleeKind.connect(to: broker)
        _ = try caller.call(driverCall("AddMatch", [.string("type='signal',interface='com.example.Events'")]))

        var pipeEnds: [CInt] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        let serial = try caller.send(.methodCall(path: "/obj", interface: "com.example.Calc", member: "Take",
                                                 destination: callee.uniqueName, body: [.string("hi"), .unixFD(0)]), fds: [pipeEnds[1]])
        let call = try callee.receive { $0.member == "Take" }
        #expect(call.sender == caller.uniqueName)
        #expect(call.body == [.string("hi"), .unixFD(0)])
        let passed = try #require(callee.receivedDescriptors.last)
        #expect(write(passed, "k", 1) == 1)
        var byte: UInt8 = 0
        #expect(read(pipeEnds[0], &byte, 1) == 1 && byte == UInt8(ascii: "k"))
        close(passed)

        try callee.send(.methodReturn(replyTo: call, body: [.uint32(42)]), fds: [])
        let reply = try caller.receive { $0.replySerial == serial }
        #expect(reply.type == .methodReturn)
        #expect(reply.sender == callee.uniqueName)
        #expect(reply.body == [.uint32(42)])

        let failing = try caller.send(.methodCall(path: "/obj", interface: "com.example.Calc", member: "Fail",
                                                  destination: callee.uniqueName), fds: [])
        let failCall = try callee.receive { $0.member == "Fail" }
        try callee.send(.error(replyTo: failCall, name: "com.example.Error.Nope", message: "no"), fds: [])
        let error = try caller.receive { $0.replySerial == failing }
        #expect(error.type == .error)
        #expect(error.errorName == "com.example.Error.Nope")
        #expect(error.body == [.string("no")])

        try callee.send(.signal(path: "/obj", interface: "com.example.Events", member: "Changed", body: [.int32(7)]), fds: [])
        let signal = try caller.receive { $0.member == "Changed" }
        #expect(signal.sender == callee.uniqueName)
        #expect(signal.body == [.int32(7)])

        try callee.send(.signal(path: "/obj", interface: "com.example.Direct", member: "Here", destination: caller.uniqueName,
                                body: [.unixFD(0)]), fds: [pipeEnds[1]])
        let direct = try caller.receive { $0.member == "Here" }
        #expect(direct.unixFDCount == 1)
        let back = try #require(caller.receivedDescriptors.last)
        #expect(write(back, "q", 1) == 1)
        #expect(read(pipeEnds[0], &byte, 1) == 1 && byte == UInt8(ascii: "q"))
        close(back)
    }

    @Test("a driver reply with an fd (GetConnectionCredentials' ProcessFD) reaches a pool peer with the fd in its RECV")
    func driverReplyWithFD() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let client = try KDBusTestClient(address: broker.address)
        let reply = try client.call(driverCall("GetConnectionCredentials", [.string(client.uniqueName)]))
        #expect(reply.type == .methodReturn)
        let recv = try #require(client.received.last)
        try #require(reply.unixFDCount == 1, "swiftbusd passes a pidfd (SO_PEERPIDFD, Linux 6.5+)")
        #expect(recv.fds.count == 1)
        let fd = try #require(recv.fds.first)
        defer { close(fd) }
        #expect(fcntl(fd, F_GETFD) >= 0, "the pidfd is open in the client")
        #expect(try FileDescriptor(owning: dup(fd)).size() == 0)
    }

    @Test("a small arena is reused as the broker consumes: 20 messages of 20 KiB through a 64 KiB arena, in order")
    func arenaReuse() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let sender = try KDBusTestClient(address: broker.address, offer: KDBusOffer(poolSize: 64 * 1024, arenaSize: 64 * 1024))
        let receiver = try KDBusTestClient(address: broker.address, offer: KDBusOffer(poolSize: 1024 * 1024, arenaSize: 64 * 1024))
        let count = 20
        for index in 0..<count {
            let payload = [UInt8](repeating: UInt8(index), count: 20 * 1024)
            try sender.send(.signal(path: "/a", interface: "com.example.A", member: "Chunk", destination: receiver.uniqueName,
                                    body: [.uint32(UInt32(index)), .bytes(payload)]))
        }
        for index in 0..<count {
            let message = try receiver.receive { $0.member == "Chunk" }
            let expected: [DBusValue] = [.uint32(UInt32(index)), .bytes([UInt8](repeating: UInt8(index), count: 20 * 1024))]
            let intact = message.body == expected
            #expect(intact, "message \(index) arrived intact and in order")
        }
        let tooLarge = [UInt8](repeating: 0, count: sender.channel.largestMessage + 8)
        #expect(throws: KDBusChannelError.self) { try sender.channel.send(tooLarge) }
    }
}

