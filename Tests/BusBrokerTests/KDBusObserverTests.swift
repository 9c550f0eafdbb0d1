// KDBus Observer Tests: monitors, eavesdroppers and the reply tracker with pool peers.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Testing

@Suite("kdbus transport: monitors, eavesdropping, reply tracking", .serialized)
struct KDBusObserverTests {
    @Test("a pool monitor sees a call and its reply between a pool peer and a classic peer")
    func poolMonitor() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let monitor = try KDBusTestClient(address: broker.address)
        let became = try monitor.call(driverCall("BecomeMonitor", [.array(element: .string, []), .uint32(0)],
                                                 interface: "org.freedesktop.DBus.Monitoring"))
        #expect(became.type == .methodReturn)
        let caller = try KDBusTestClient(address: broker.address)
        let callee = try TestClient(address: broker.address)
        try callee.connect()
        let serial = try caller.send(.methodCall(path: "/m", interface: "com.example.M", member: "Watched", destination: callee.uniqueName))
        let call = try callee.receive { $0.member == "Watched" }
        try callee.send(.methodReturn(replyTo: call, body: [.string("seen")]))
        #expect(try caller.receive { $0.replySerial == serial }.body == [.string("seen")])
        let copiedCall = try monitor.receive { $0.member == "Watched" }
        #expect(copiedCall.sender == caller.uniqueName && copiedCall.destination == callee.uniqueName)
        let copiedReply = try monitor.receive { $0.replySerial == serial && $0.type == .methodReturn }
        #expect(copiedReply.body == [.string("seen")])
    }

    @Test("a pool eavesdropper gets unicasts between classic peers")
    func poolEavesdropper() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let eavesdropper = try KDBusTestClient(address: broker.address)
        try eavesdropper.addMatch("eavesdrop='true',type='method_call',interface='com.example.Secret'")
        let first = try TestClient(address: broker.address)
        try first.connect()
        let second = try TestClient(address: broker.address)
        try second.connect()
        try first.send(.methodCall(path: "/s", interface: "com.example.Secret", member: "Whisper", destination: second.uniqueName,
                                   body: [.string("psst")], flags: .noReplyExpected))
        #expect(try second.receive { $0.member == "Whisper" }.body == [.string("psst")])
        let copy = try eavesdropper.receive { $0.member == "Whisper" }
        #expect(copy.sender == first.uniqueName && copy.body == [.string("psst")])
    }

    @Test("a pool callee that disconnects with a call pending gives its pool caller NoReply at once")
    func calleeDisconnects() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let caller = try KDBusTestClient(address: broker.address)
        var callee: KDBusTestClient? = try KDBusTestClient(address: broker.address)
        let serial = try caller.send(.methodCall(path: "/d", interface: "com.example.D", member: "Never", destination: callee!.uniqueName))
        _ = try callee!.receive { $0.member == "Never" }
        callee = nil
        let reply = try caller.receive { $0.replySerial == serial }
        #expect(reply.errorName == "org.freedesktop.DBus.Error.NoReply")
    }
}
