// KDBus Handshake Tests: classic messages pipelined before ARENA get their replies as RECVs.
import BusPlatform
import DBusWire
import Glibc
import SwiftBus
import Testing

@Suite("kdbus transport: handshake without a round trip", .serialized)
struct KDBusHandshakeTests {
    /// Hello and a second call, marshalled with serials 1 and 2, as one pipelined buffer.
    static func helloAndGetId() throws -> [UInt8] {
        var hello = driverCall("Hello")
        hello.serial = 1
        var getId = driverCall("GetId")
        getId.serial = 2
        return try hello.encoded() + getId.encoded()
    }

    @Test("Hello and a call written with the SASL lines, before ARENA, are answered as RECVs after POOL; then SEND works")
    func pipelinedHello() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let path = String(broker.address.dropFirst("unix:path=".count).prefix { $0 != "," })
        let channel = try KDBusChannel.connect(to: .path(path), offer: KDBusOffer(poolSize: 64 * 1024, arenaSize: 64 * 1024),
                                               firstMessages: try Self.helloAndGetId(), timeoutMilliseconds: TestClient.timeoutMilliseconds)
        var replies: [UInt32: Message] = [:]
        while replies.count < 2 {
            let slice = try channel.receive(timeoutMilliseconds: TestClient.timeoutMilliseconds)
            let message = try Message(decoding: try channel.messageBytes(slice), unixFDsReceived: 0)
            channel.release(slice)
            if let serial = message.replySerial { replies[serial] = message }
        }
        guard case .string(let name)? = replies[1]?.body.first else { Issue.record("Hello reply: \(String(describing: replies[1]))"); return }
        #expect(name.hasPrefix(":1."))
        #expect(replies[2]?.type == .methodReturn)
        // After ARENA the same connection goes through the arena: the bus knows its name.
        var owner = driverCall("GetNameOwner", [.string(name)])
        owner.serial = 3
        try channel.send(owner.encoded(), timeoutMilliseconds: TestClient.timeoutMilliseconds)
        while true {
            let slice = try channel.receive(timeoutMilliseconds: TestClient.timeoutMilliseconds)
            let message = try Message(decoding: try channel.messageBytes(slice), unixFDsReceived: 0)
            channel.release(slice)
            guard message.replySerial == 3 else { continue }
            #expect(message.body.first == .string(name))
            break
        }
        #expect(!broker.log.contains("disconnecting"), "log: \(broker.log)")
    }

    @Test("a raw client's classic Hello after POOL and before ARENA is answered in the pool")
    func helloBetweenPoolAndArena() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let raw = try KDBusRawClient(address: broker.address)
        try raw.send(KDBusProtocolErrorTests.hello())
        // The Hello reply's RECV is in the RECV ring (the client has no arena yet: its head is 0).
        let text = try raw.nextMessageText()
        #expect(text.contains(":1."), "the Hello reply names the peer")
    }
}
