// Broker Integration Tests: a real swiftbusd process, real sockets, DBusWire clients.
import BusPlatform
import DBusWire
import Foundation
import Testing

/// Builds a driver call.
func driverCall(_ member: String, _ body: [DBusValue] = [], interface: String = "org.freedesktop.DBus", serial: UInt32 = 0) -> Message {
    var call = Message.methodCall(path: "/org/freedesktop/DBus", interface: interface, member: member,
                                  destination: "org.freedesktop.DBus", body: body)
    call.serial = serial
    return call
}

/// Sends the bytes `build` makes (given the bad client and the good one's unique name) from a
/// fresh client and checks that the broker ends that connection only: the broker logs a line
/// naming it (with `reason`), and another client keeps its round trips.
func expectOnlySenderEnds(on broker: BrokerProcess, logging reason: String,
                          _ build: (TestClient, String) throws -> [UInt8]) throws {
    let bad = try broker.client()
    let good = try broker.client()
    try bad.sendRaw(build(bad, good.uniqueName))
    #expect(bad.waitForDisconnect())
    #expect(try good.call(driverCall("GetId")).type == .methodReturn)
    #expect(broker.logLines(containing: "disconnecting \(bad.uniqueName)", reason).count == 1, "\(broker.log)")
}

@Suite("swiftbusd integration", .serialized)
struct BrokerIntegrationTests {
    @Test("SASL, Hello and unique names :1.N in connection order")
    func helloAssignsUniqueNames() async throws {
        try await BrokerProcess.run { broker in
            #expect(broker.address.hasPrefix("unix:path=\(broker.socketPath),guid="))
            #expect(broker.address.count == "unix:path=\(broker.socketPath),guid=".count + 32)
            let first = try TestClient(address: broker.address)
            let second = try TestClient(address: broker.address)
            #expect(try first.connect() == ":1.0")
            #expect(try second.connect() == ":1.1")
            let again = try first.call(driverCall("Hello"))
            #expect(again.errorName == "org.freedesktop.DBus.Error.Failed")
            // NameAcquired for the unique name follows the Hello reply.
            let acquired = try first.receive { $0.member == "NameAcquired" }
            #expect(acquired.body == [.string(":1.0")])
        }
    }

    @Test("a message before Hello gets AccessDenied and the connection is closed")
    func messageBeforeHello() async throws {
        try await BrokerProcess.run { broker in
            let client = try TestClient(address: broker.address)
            try client.connect(hello: false)
            let reply = try client.call(driverCall("ListNames"))
            #expect(reply.errorName == "org.freedesktop.DBus.Error.AccessDenied")
            #expect(reply.body == [.string("Client tried to send a message other than Hello without being registered")])
            #expect(client.waitForDisconnect())
        }
    }

    @Test("RequestName: signals before the reply, queueing, and GetNameOwner")
    func requestName() async throws {
        try await BrokerProcess.run { broker in
            let owner = try broker.client()
            let waiter = try broker.client()
            _ = try owner.call(driverCall("AddMatch", [.string("type='signal',member='NameOwnerChanged'")]))
            owner.backlog.removeAll()
            let serial = try owner.send(driverCall("RequestName", [.string("com.example.Test"), .uint32(0)]))
            var order: [String] = []
            while true {
                let message = try owner.receive()
                if message.replySerial == serial {
                    #expect(message.body == [.uint32(1)])
                    break
                }
                order.append(message.member ?? "?")
            }
            #expect(order == ["NameOwnerChanged", "NameAcquired"])
            let queued = try waiter.call(driverCall("RequestName", [.string("com.example.Test"), .uint32(0)]))
            #expect(queued.body == [.uint32(2)])
            let exists = try waiter.call(driverCall("RequestName", [.string("com.example.Test"), .uint32(4)]))
            #expect(exists.body == [.uint32(3)])
            let ownerName = try waiter.call(driverCall("GetNameOwner", [.string("com.example.Test")]))
            #expect(ownerName.body == [.string(owner.uniqueName)])
            let released = try owner.call(driverCall("ReleaseName", [.string("com.example.Test")]))
            #expect(released.body == [.uint32(1)])
            let missing = try waiter.call(driverCall("GetNameOwner", [.string("com.example.Test")]))
            #expect(missing.errorName == "org.freedesktop.DBus.Error.NameHasNoOwner")
            #expect(missing.body == [.string("Could not get owner of name 'com.example.Test': no such name")])
        }
    }

    @Test("a call routed by well-known name, and its reply routed back")
    func callAndReply() async throws {
        try await BrokerProcess.run { broker in
            let service = try broker.client()
            let caller = try broker.client()
            _ = try service.call(driverCall("RequestName", [.string("com.example.Echo"), .uint32(0)]))
            let serial = try caller.send(.methodCall(path: "/echo", interface: "com.example.Echo", member: "Echo",
                                                     destination: "com.example.Echo", body: [.string("hi")]))
            let call = try service.receive { $0.member == "Echo" }
            #expect(call.sender == caller.uniqueName)
            #expect(call.body == [.string("hi")])
            try service.send(Message.methodReturn(replyTo: call, body: [.string("hi back")]))
            let reply = try caller.receive { $0.replySerial == serial }
            #expect(reply.type == .methodReturn)
            #expect(reply.sender == service.uniqueName)
            #expect(reply.body == [.string("hi back")])
            // A second reply to the same call is not expected any more and must not arrive.
            try service.send(Message.methodReturn(replyTo: call, body: [.string("again")]))
            let ping = try caller.call(driverCall("GetId"))
            #expect(ping.type == .methodReturn)
            #expect(!caller.backlog.contains { $0.replySerial == serial })
        }
    }

    @Test("calls to a name nobody owns get ServiceUnknown with dbus-daemon's text")
    func serviceUnknown() async throws {
        try await BrokerProcess.run { broker in
            let client = try broker.client()
            let reply = try client.call(.methodCall(path: "/", interface: "com.example.X", member: "Foo", destination: "com.example.Nobody"))
            #expect(reply.errorName == "org.freedesktop.DBus.Error.ServiceUnknown")
            #expect(reply.body == [.string("The name com.example.Nobody was not provided by any .service files")])
        }
    }

    @Test("a signal reaches the peers whose match rules want it, and no others")
    func signalToMatchRule() async throws {
        try await BrokerProcess.run { broker in
            let emitter = try broker.client()
            let listener = try broker.client()
            let other = try broker.client()
            _ = try listener.call(driverCall("AddMatch", [.string("type='signal',interface='com.example.Sig',member='Ping'")]))
            _ = try other.call(driverCall("AddMatch", [.string("type='signal',interface='com.example.Sig',member='Other'")]))
            try emitter.send(.signal(path: "/s", interface: "com.example.Sig", member: "Ping", body: [.string("x")]))
            let signal = try listener.receive { $0.member == "Ping" }
            #expect(signal.sender == emitter.uniqueName)
            #expect(signal.body == [.string("x")])
            // The other peer answers a driver call, proving the signal (sent earlier) did not reach it.
            _ = try other.call(driverCall("GetId"))
            #expect(!other.backlog.contains { $0.member == "Ping" })
            let bad = try listener.call(driverCall("AddMatch", [.string("type='bogus'")]))
            #expect(bad.errorName == "org.freedesktop.DBus.Error.MatchRuleInvalid")
        }
    }

    @Test("a callee that disconnects leaves its caller a NoReply at once")
    func noReplyOnDisconnect() async throws {
        try await BrokerProcess.run { broker in
            let caller = try broker.client()
            var callee: TestClient? = try TestClient(address: broker.address)
            let calleeName = try callee!.connect()
            let serial = try caller.send(.methodCall(path: "/", interface: "com.example.X", member: "Slow", destination: calleeName))
            _ = try callee!.receive { $0.member == "Slow" }
            callee = nil
            let reply = try caller.receive { $0.replySerial == serial }
            #expect(reply.errorName == "org.freedesktop.DBus.Error.NoReply")
            #expect(reply.body == [.string("Message recipient disconnected from message bus without replying")])
        }
    }

    @Test("a forged SENDER is overwritten and an unknown header field removed")
    func senderAndHeaderFiltering() async throws {
        try await BrokerProcess.run { broker in
            let sender = try broker.client()
            let receiver = try broker.client()
            let receiverName = receiver.uniqueName
            var forged = Message.methodCall(path: "/f", interface: "com.example.F", member: "Forged", destination: receiverName,
                                            body: [.string("payload")], flags: .noReplyExpected, serial: sender.takeSerial())
            forged.sender = ":1.999"
            try sender.sendRaw(addingUnknownHeaderField(to: try forged.encoded()))
            let received = try receiver.receive { $0.member == "Forged" }
            #expect(received.sender == sender.uniqueName)
            #expect(received.body == [.string("payload")])
            let raw = try #require(receiver.rawBySerial[received.serial])
            let hasUnknownFields = try raw.withUnsafeBytes { try MessageHeaderView(validating: $0).hasUnknownFields }
            #expect(!hasUnknownFields)
            // The same bytes with the field left in are seen as having one, so the check can fail.
            let control = addingUnknownHeaderField(to: raw)
            #expect(try control.withUnsafeBytes { try MessageHeaderView(validating: $0).hasUnknownFields })
        }
    }

    @Test("a malformed message ends only its sender's connection, with a log line")
    func malformedMessage() async throws {
        try await BrokerProcess.run { broker in
            try expectOnlySenderEnds(on: broker, logging: "invalid message") { bad, _ in
                var bytes = try driverCall("GetId", serial: bad.takeSerial()).encoded()
                bytes[1] = 9  // no such message type
                return bytes
            }
        }
    }

    @Test("a huge declared length ends the connection before anything is buffered")
    func hugeDeclaredLength() async throws {
        try await BrokerProcess.run(limits: ["max_message_size": 65536]) { broker in
            try expectOnlySenderEnds(on: broker, logging: "malformed message header") { bad, _ in
                var bytes = try driverCall("GetId", serial: bad.takeSerial()).encoded()
                bytes.replaceSubrange(4..<8, with: [0x00, 0x00, 0x00, 0x10])  // body length 256 MiB
                return Array(bytes[0..<16])
            }
        }
    }

    @Test("UNIX_FDS that disagrees with the fds sent is a protocol error")
    func fdCountMismatch() async throws {
        try await BrokerProcess.run { broker in
            try expectOnlySenderEnds(on: broker, logging: "fds") { bad, goodName in
                // Declares two fds, sends none.
                var message = Message.methodCall(path: "/", interface: "com.example.X", member: "Fds", destination: goodName,
                                                 body: [.unixFD(0)], flags: .noReplyExpected, serial: bad.takeSerial())
                message.unixFDCount = 2
                return try message.encoded()
            }
        }
    }

    @Test("an fd travels with its message to the receiver")
    func fdPassing() async throws {
        try await BrokerProcess.run { broker in
            let sender = try broker.client()
            let receiver = try broker.client()
            let receiverName = receiver.uniqueName
            var pipeEnds: [CInt] = [0, 0]
            #expect(pipe(&pipeEnds) == 0)
            defer { close(pipeEnds[0]); close(pipeEnds[1]) }
            try sender.send(.methodCall(path: "/", interface: "com.example.X", member: "TakeFd", destination: receiverName,
                                        body: [.unixFD(0)], flags: .noReplyExpected), fds: [pipeEnds[1]])
            let received = try receiver.receive { $0.member == "TakeFd" }
            #expect(received.unixFDCount == 1)
            let fd = try #require(receiver.receivedDescriptors.last)
            #expect(write(fd, "z", 1) == 1)
            var byte: UInt8 = 0
            #expect(read(pipeEnds[0], &byte, 1) == 1 && byte == UInt8(ascii: "z"))
            close(fd)
        }
    }

    @Test("a peer that never reads is limited: senders get LimitsExceeded, it is disconnected with one log line")
    func peerThatNeverReads() async throws {
        try await BrokerProcess.run(limits: ["max_outgoing_bytes": 256 * 1024]) { broker in
            let sleeper = try broker.client()
            let sleeperName = sleeper.uniqueName
            let sender = try broker.client()
            let payload = DBusValue.bytes([UInt8](repeating: 7, count: 32 * 1024))
            var limited: Message?
            for _ in 0..<200 {
                let serial = try sender.send(.methodCall(path: "/", interface: "com.example.X", member: "Flood",
                                                         destination: sleeperName, body: [payload]))
                _ = serial
                let poll = try sender.call(driverCall("GetId"))
                if let error = sender.backlog.first(where: { $0.errorName == "org.freedesktop.DBus.Error.LimitsExceeded" }) {
                    limited = error
                    break
                }
                _ = poll
            }
            #expect(limited != nil)
            let lines = broker.log.split(separator: "\n").filter { $0.contains("disconnecting \(sleeperName)") }
            #expect(lines.count == 1)
            #expect(lines.first?.contains("max_outgoing_bytes=262144") == true)
            #expect(try sender.call(driverCall("GetId")).type == .methodReturn)
        }
    }
}

/// Appends a header field with code 200 (unknown to everyone) to an encoded message.
func addingUnknownHeaderField(to bytes: [UInt8]) -> [UInt8] {
    let fieldsLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
    let fieldsEnd = 16 + fieldsLength
    let bodyStart = (fieldsEnd + 7) & ~7
    var result = Array(bytes[0..<fieldsEnd])
    while result.count % 8 != 0 { result.append(0) }
    result += [200, 1, UInt8(ascii: "s"), 0, 5, 0, 0, 0] + Array("extra".utf8) + [0]
    let newLength = result.count - 16
    result[12] = UInt8(newLength & 0xFF)
    result[13] = UInt8(newLength >> 8 & 0xFF)
    result[14] = 0
    result[15] = 0
    while result.count % 8 != 0 { result.append(0) }
    return result + bytes[bodyStart...]
}
