// Broker Large Message Tests: 1 MiB bodies through a real swiftbusd, on both forward paths.
import BusPlatform
import DBusWire
import Testing

/// A body large enough to take the separate-body path, with a pattern that shows any
/// dropped, repeated or shifted byte.
private let largePayload: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }

@Suite("swiftbusd large messages", .serialized)
struct BrokerLargeMessageTests {
    @Test("1 MiB calls arrive intact, in order, with SENDER set, when nobody else watches")
    func largeUnicast() async throws {
        try await BrokerProcess.run { broker in
            let sender = try broker.client()
            let receiver = try broker.client()
            let receiverName = receiver.uniqueName
            // Two back to back, so the second queues behind the first in the receiver's queue.
            for member in ["First", "Second"] {
                var forged = Message.methodCall(path: "/big", interface: "com.example.Big", member: member,
                                                destination: receiverName, body: [.bytes(largePayload)], flags: .noReplyExpected)
                forged.sender = ":1.999"
                try sender.send(forged)
            }
            for member in ["First", "Second"] {
                let received = try receiver.receive { $0.interface == "com.example.Big" }
                #expect(received.member == member)
                #expect(received.sender == sender.uniqueName)
                // A Bool, so a failure does not print a megabyte.
                let intact = received.body == [.bytes(largePayload)]
                #expect(intact)
            }
        }
    }

    @Test("a 1 MiB call reaches both its receiver and a monitor intact")
    func largeUnicastWithMonitor() async throws {
        try await BrokerProcess.run { broker in
            let monitor = try broker.client()
            let reply = try monitor.call(driverCall("BecomeMonitor", [.array(element: .string, []), .uint32(0)],
                                                    interface: "org.freedesktop.DBus.Monitoring"))
            #expect(reply.type == .methodReturn)
            let sender = try broker.client()
            let receiver = try broker.client()
            let receiverName = receiver.uniqueName
            try sender.send(.methodCall(path: "/big", interface: "com.example.Big", member: "Watched",
                                        destination: receiverName, body: [.bytes(largePayload)], flags: .noReplyExpected))
            let received = try receiver.receive { $0.member == "Watched" }
            #expect(received.sender == sender.uniqueName)
            let intact = received.body == [.bytes(largePayload)]
            #expect(intact)
            let copy = try monitor.receive { $0.member == "Watched" }
            #expect(copy.sender == sender.uniqueName)
            let copyIntact = copy.body == [.bytes(largePayload)]
            #expect(copyIntact)
        }
    }
}
