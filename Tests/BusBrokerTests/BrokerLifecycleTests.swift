// Broker Lifecycle Tests: timeouts, monitors, reload, --fork and clean exit, on a real swiftbusd.
import BusPlatform
import DBusWire
import Foundation
import Testing

@Suite("swiftbusd lifecycle", .serialized)
struct BrokerLifecycleTests {
    @Test("reply_timeout: an unanswered call gets NoReply from the bus")
    func replyTimeout() async throws {
        try await BrokerProcess.run(limits: ["reply_timeout": 200]) { broker in
            let caller = try broker.client()
            let callee = try broker.client()
            let calleeName = callee.uniqueName
            let started = Date()
            let reply = try caller.call(.methodCall(path: "/", interface: "com.example.X", member: "Never", destination: calleeName))
            #expect(reply.errorName == "org.freedesktop.DBus.Error.NoReply")
            #expect(reply.body == [.string("Message did not receive a reply (timeout by message bus)")])
            #expect(Date().timeIntervalSince(started) >= 0.19)
        }
    }

    @Test("a monitor receives unicasts between other peers and is refused when it sends")
    func monitor() async throws {
        try await BrokerProcess.run { broker in
            let monitor = try broker.client()
            let reply = try monitor.call(driverCall("BecomeMonitor", [.array(element: .string, []), .uint32(0)],
                                                    interface: "org.freedesktop.DBus.Monitoring"))
            #expect(reply.type == .methodReturn)
            let a = try broker.client()
            let b = try broker.client()
            let bName = b.uniqueName
            try a.send(.methodCall(path: "/m", interface: "com.example.M", member: "Watched", destination: bName,
                                   flags: .noReplyExpected))
            let copy = try monitor.receive { $0.member == "Watched" }
            #expect(copy.sender == a.uniqueName)
            #expect(copy.destination == bName)
            try monitor.send(driverCall("GetId"))
            #expect(monitor.waitForDisconnect())
        }
    }

    @Test("ReloadConfig succeeds with a good file and fails, keeping the bus up, with a broken one")
    func reload() async throws {
        try await BrokerProcess.run { broker in
            let client = try broker.client()
            #expect(try client.call(driverCall("ReloadConfig")).type == .methodReturn)
            let configFile = broker.directory.appendingPathComponent("bus.conf")
            try "<busconfig><listen>".write(to: configFile, atomically: true, encoding: .utf8)
            let failed = try client.call(driverCall("ReloadConfig"))
            #expect(failed.errorName == "org.freedesktop.DBus.Error.Failed")
            kill(broker.process.processIdentifier, SIGHUP)
            #expect(try client.call(driverCall("GetId")).type == .methodReturn)
            #expect(broker.log.contains("configuration reload failed"))
        }
    }
}
