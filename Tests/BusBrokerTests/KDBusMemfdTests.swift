// KDBus Memfd Tests: large bodies as sealed memfds, to pool receivers (by reference) and classic ones (inline).
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Testing

@Suite("kdbus transport: memfd payloads", .serialized)
struct KDBusMemfdTests {
    /// The payload size: an `ay` this large is near the spec's array cap (64 MiB); the
    /// message cap (128 MiB) is why no single D-Bus message can carry 1 GiB.
    static let payloadSize = 48 * 1024 * 1024

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
}
