// KDBus Memfd Tests: large bodies as sealed memfds, to pool receivers (by reference) and classic ones (inline).
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Testing

@Suite("kdbus transport: memfd payloads", .serialized)
struct KDBusMemfdTests {
    /// The payload size: an `ay` this large is near the spec's array cap (64 MiB), so a
    /// classic receiver can still take it.
    static let payloadSize = 48 * 1024 * 1024
    /// An `ay` one byte past the spec's array cap: only the kdbus transport carries it (§8).
    static let oversizedPayload = ProtocolLimits.maxArrayLength + 1

    /// `message` split around its first `ay` of `count` bytes: the bytes before, a sealed memfd
    /// holding the array, the bytes after. The body must start with that `ay`.
    static func split(_ message: Message, payloadCount count: Int) throws -> (head: [UInt8], memfd: CInt, tail: [UInt8]) {
        let bytes = try message.encoded(limits: .memfdCarried)
        let bodyLength = bytes.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self))) }
        let start = bytes.count - bodyLength + 4
        let memfd = try bytes.withUnsafeBytes { try KDBusOutgoingPart.sealedMemfd(UnsafeRawBufferPointer(rebasing: $0[start..<start + count])).take() }
        return (Array(bytes[..<start]), memfd, Array(bytes[(start + count)...]))
    }

    /// A kdbus sender, a pool receiver and a classic receiver, connected to `broker`.
    static func peers(on broker: BrokerProcess) throws -> (sender: KDBusTestClient, pool: KDBusTestClient, classic: TestClient) {
        let sender = try KDBusTestClient(address: broker.address)
        let pool = try KDBusTestClient(address: broker.address)
        let classic = try TestClient(address: broker.address)
        try classic.connect()
        return (sender, pool, classic)
    }

    /// Sends `message` through `sender`'s arena with its leading `ay` as a memfd part.
    static func sendSplit(_ message: Message, payloadCount: Int, from sender: KDBusTestClient) throws {
        let (head, memfd, tail) = try split(message, payloadCount: payloadCount)
        defer { close(memfd) }
        try sender.channel.send(parts: [.bytes(head), .memfd(memfd, length: payloadCount), .bytes(tail)])
    }

    /// A call whose body is one `ay`, split into the header-and-length part and the payload
    /// part, which goes in a sealed memfd.
    static func largeCall(to destination: String, payload: [UInt8]) throws -> (head: [UInt8], memfd: CInt) {
        let message = try Message.methodCall(path: "/big", interface: "com.example.Big", member: "Take", destination: destination,
                                             body: [.bytes(payload)], flags: .noReplyExpected, serial: 77).encoded()
        let head = Array(message[0..<(message.count - payload.count)])
        let memfd = try payload.withUnsafeBytes { try KDBusOutgoingPart.sealedMemfd($0).take() }
        return (head, memfd)
    }

    @Test("a 48 MiB body in a memfd reaches a classic receiver inline and a pool receiver as the memfd itself")
    func largeBody() throws {
        let broker = try BrokerProcess(limits: ["max_message_size": 128 * 1024 * 1024])
        defer { broker.stop() }
        let sender = try KDBusTestClient(address: broker.address)
        let classic = try TestClient(address: broker.address)
        try classic.connect()
        let pool = try KDBusTestClient(address: broker.address)
        var payload = [UInt8](repeating: 0, count: Self.payloadSize)
        for index in stride(from: 0, to: payload.count, by: 4096) { payload[index] = UInt8(truncatingIfNeeded: index / 4096) }
        payload[payload.count - 1] = 0xEE

        for receiver in [classic.uniqueName, pool.uniqueName] {
            let (head, memfd) = try Self.largeCall(to: receiver, payload: payload)
            defer { close(memfd) }
            let start = Date()
            try sender.channel.send(parts: [.bytes(head), .memfd(memfd, length: payload.count)])
            let received: Message
            if receiver == classic.uniqueName {
                received = try classic.receive { $0.member == "Take" }
            } else {
                received = try pool.receive { $0.member == "Take" }
                let items = try #require(pool.received.last?.items)
                #expect(items.contains { $0.type == .payloadMemfd }, "the pool receiver got the memfd, not a copy")
                #expect(pool.received.last?.memfds.count == 1)
            }
            let elapsed = Date().timeIntervalSince(start)
            print("memfd payload of \(payload.count) bytes to \(receiver == classic.uniqueName ? "classic" : "pool"): \(Int(elapsed * 1000)) ms")
            #expect(received.sender == sender.uniqueName)
            let same = received.body == [.bytes(payload)]
            #expect(same, "the body arrived intact")
        }
    }

    @Test("a payload memfd without the write seal ends the sender's connection, named in the log")
    func unsealedMemfd() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let sender = try KDBusTestClient(address: broker.address)
        let bystander = try KDBusTestClient(address: broker.address)
        let payload = [UInt8](repeating: 1, count: 8192)
        let (head, sealed) = try Self.largeCall(to: bystander.uniqueName, payload: payload)
        close(sealed)
        let unsealed = try MemoryFile.create(name: "unsealed", size: payload.count)
        try sender.channel.send(parts: [.bytes(head), .memfd(unsealed.rawValue, length: payload.count)])
        #expect(throws: KDBusChannelError.self) { try sender.call(driverCall("GetId")) }
        #expect(try bystander.call(driverCall("GetId")).type == .methodReturn)
        let line = broker.log.split(separator: "\n").first { $0.contains("disconnecting \(sender.uniqueName)") }
        #expect(line?.contains("memfd 0 has seals [], needs [seal, shrink, grow, write]") == true, "log: \(broker.log)")
    }

    @Test("past D-Bus's limits: a pool receiver gets the message with its memfd, even with bytes after it; a classic receiver's caller gets LimitsExceeded")
    func oversizedUnicast() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let (sender, pool, classic) = try Self.peers(on: broker)
        var payload = [UInt8](repeating: 3, count: Self.oversizedPayload)
        payload[payload.count - 1] = 0xEE

        var call = Message.methodCall(path: "/big", interface: "com.example.Big", member: "Take", destination: pool.uniqueName,
                                      body: [.bytes(payload), .string("after")], flags: .noReplyExpected)
        call.serial = 5
        try Self.sendSplit(call, payloadCount: payload.count, from: sender)
        let received = try pool.receive { $0.member == "Take" }
        #expect(received.body == [.bytes(payload), .string("after")])
        #expect(received.sender == sender.uniqueName)
        #expect(pool.received.last?.memfds.count == 1, "the pool receiver got the memfd, not a copy")

        // The message is past max_message_size (32 MiB by default) too, which ends a sender
        // only for the bytes the broker copies: it mapped the memfd.
        for destination in [classic.uniqueName, "org.freedesktop.DBus", "com.example.Nobody"] {
            var refused = Message.methodCall(path: "/big", interface: "com.example.Big", member: "Take", destination: destination,
                                             body: [.bytes(payload)])
            refused.serial = 6
            try Self.sendSplit(refused, payloadCount: payload.count, from: sender)
            let error = try sender.receive { $0.replySerial == 6 }
            #expect(error.errorName == "org.freedesktop.DBus.Error.LimitsExceeded", "\(destination): \(error)")
            guard case .string(let text)? = error.body.first else { continue }
            #expect(text.contains("past the D-Bus limits (134217728 bytes a message, 67108864 an array)"), "\(text)")
        }
        #expect(try sender.call(driverCall("GetId")).type == .methodReturn, "the sender is still served")
        #expect(try classic.call(driverCall("GetId")).type == .methodReturn, "the classic peer is still served")
        #expect(!broker.log.contains("disconnecting"), "nobody was disconnected: \(broker.log)")
    }

    @Test("a signal past D-Bus's limits reaches pool subscribers only; the classic one gets the next signal, and the skip is logged")
    func oversizedBroadcast() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let (sender, pool, classic) = try Self.peers(on: broker)
        let rule = "type='signal',interface='com.example.Big'"
        try pool.addMatch(rule)
        _ = try classic.call(driverCall("AddMatch", [.string(rule)]))
        let payload = [UInt8](repeating: 9, count: Self.oversizedPayload)

        var big = Message.signal(path: "/big", interface: "com.example.Big", member: "Large", body: [.bytes(payload), .uint32(7)])
        big.serial = 8
        try Self.sendSplit(big, payloadCount: payload.count, from: sender)
        try sender.send(.signal(path: "/big", interface: "com.example.Big", member: "Small", body: [.uint32(1)]))

        let large = try pool.receive { $0.member == "Large" }
        #expect(large.body == [.bytes(payload), .uint32(7)])
        #expect(large.sender == sender.uniqueName)
        let first = try classic.receive { $0.interface == "com.example.Big" }
        #expect(first.member == "Small", "the classic subscriber skipped the large signal")
        #expect(broker.log.contains("reached pool receivers only; 1 classic receiver(s)"), "\(broker.log)")
    }

    @Test("the parts besides the largest memfd count against max_message_size: past it the sender is ended, named in the log")
    func copiedPartsCountAgainstMaxMessageSize() throws {
        let broker = try BrokerProcess(limits: ["max_message_size": 1024 * 1024])
        defer { broker.stop() }
        let sender = try KDBusTestClient(address: broker.address)
        let bystander = try KDBusTestClient(address: broker.address)
        let big = [UInt8](repeating: 1, count: 3 * 1024 * 1024)
        let second = [UInt8](repeating: 2, count: 2 * 1024 * 1024)
        var call = Message.methodCall(path: "/big", interface: "com.example.Big", member: "Take", destination: bystander.uniqueName,
                                      body: [.bytes(big), .bytes(second)], flags: .noReplyExpected)
        call.serial = 4
        let bytes = try call.encoded()
        let bodyStart = bytes.count - (4 + big.count + 4 + second.count)
        let firstStart = bodyStart + 4, secondStart = firstStart + big.count + 4
        let first = try big.withUnsafeBytes { try KDBusOutgoingPart.sealedMemfd($0).take() }
        let other = try second.withUnsafeBytes { try KDBusOutgoingPart.sealedMemfd($0).take() }
        defer { close(first); close(other) }
        try sender.channel.send(parts: [.bytes(Array(bytes[..<firstStart])), .memfd(first, length: big.count),
                                        .bytes(Array(bytes[(firstStart + big.count)..<secondStart])), .memfd(other, length: second.count)])
        #expect(throws: KDBusChannelError.self) { try sender.call(driverCall("GetId")) }
        #expect(try bystander.call(driverCall("GetId")).type == .methodReturn)
        let line = broker.log.split(separator: "\n").first { $0.contains("disconnecting \(sender.uniqueName)") }
        #expect(line?.contains("the parts besides the largest memfd add up to \(bytes.count - big.count) bytes, more than max_message_size=1048576") == true,
                "log: \(broker.log)")
    }

    @Test("bodies spilled into memfds of the broker count against max_outgoing_bytes until the receiver frees them")
    func spilledBodiesAreBounded() throws {
        let broker = try BrokerProcess(limits: ["max_outgoing_bytes": 3 * 1024 * 1024])
        defer { broker.stop() }
        let receiver = try KDBusTestClient(address: broker.address)  // a 1 MiB pool: every call below is spilled
        let sender = try TestClient(address: broker.address)
        try sender.connect()
        func call(_ serial: UInt32) -> Message {
            var message = Message.methodCall(path: "/big", interface: "com.example.Big", member: "Take", destination: receiver.uniqueName,
                                             body: [.string(String(repeating: "s", count: 2 * 1024 * 1024))])
            message.serial = serial
            return message
        }
        try sender.send(call(100))
        let refused = try sender.send(call(101))
        let error = try sender.receive { $0.replySerial == refused }
        #expect(error.errorName == "org.freedesktop.DBus.Error.LimitsExceeded")
        guard case .string(let text)? = error.body.first else { Issue.record("no error text"); return }
        #expect(text.contains("bytes unread in memfds of the bus, max_outgoing_bytes=3145728"), "\(text)")

        let first = try receiver.receive { $0.member == "Take" }
        #expect(first.serial == 100)
        try receiver.channel.flushFrees()
        #expect(try receiver.call(driverCall("GetId")).type == .methodReturn)  // the FREE is carried out before it
        try sender.send(call(102))
        #expect(try receiver.receive { $0.member == "Take" }.serial == 102, "freed, the spilled bytes no longer count")
    }

    @Test("a signal larger than a subscriber's whole pool reaches it in a memfd of the broker's")
    func spilledBroadcast() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let subscriber = try KDBusTestClient(address: broker.address)  // a 1 MiB pool
        try subscriber.addMatch("type='signal',interface='com.example.Big'")
        let sender = try TestClient(address: broker.address)
        try sender.connect()
        let text = String(repeating: "t", count: 3 * 1024 * 1024)
        try sender.send(.signal(path: "/big", interface: "com.example.Big", member: "Large", body: [.string(text)]))
        let signal = try subscriber.receive { $0.member == "Large" }
        #expect(signal.body == [.string(text)])
        #expect(subscriber.received.last?.memfds.count == 1, "the body came as a memfd")
    }
}
