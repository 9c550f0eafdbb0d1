// Bus Monitor Tests: becomeMonitor sees other connections' calls, replies, errors and signals.
import SwiftBus
import Testing

@Suite("Monitoring a real bus")
struct BusMonitorTests {
    /// Types and members of what the monitor saw from the pair, in order.
    static func summary(_ message: Message) -> String {
        switch message.type {
        case .methodCall: "call \(message.member ?? "")"
        case .methodReturn: "return"
        case .error: "error \(message.errorName ?? "")"
        case .signal: "signal \(message.member ?? "")"
        }
    }

    @Test("a monitor sees a call, its return, an error reply and a signal, in order", arguments: TestBus.available)
    func seesTraffic(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let monitor = try await Connection.connect(to: bus.address())
        // Other tests share the bus: only the pair's traffic is copied.
        let rules = try [pair.client.uniqueName, pair.server.uniqueName].map { try MatchRule(parsing: "sender='\($0)'") }
        let stream = try await monitor.becomeMonitor(matching: rules)
        #expect(monitor.isMonitor)

        #expect(try await pair.proxy.call(TestInterface.add, 2, 3) == 5)
        await #expect(throws: DBusError.self) { try await pair.proxy.call(TestInterface.fail, "org.swiftbus.Error.Monitored", "boom") }
        try await pair.proxy.call(TestInterface.emit, "seen")

        let expected = ["call Add", "return", "call Fail", "error org.swiftbus.Error.Monitored", "call Emit", "signal Ticked", "return"]
        var seen: [Message] = []
        var iterator = stream.makeAsyncIterator()
        while seen.count < expected.count, let received = try await iterator.next() {
            // The bus may tell the monitor it lost its own unique name; that is not the pair's traffic.
            if received.message.sender == "org.freedesktop.DBus" { continue }
            seen.append(received.message)
        }
        try #require(seen.count == expected.count)
        #expect(seen.map(Self.summary) == expected)
        // Replies are monitored messages, not answers to the monitor: each names the call it answers.
        #expect(seen[1].replySerial == seen[0].serial)
        #expect(seen[3].replySerial == seen[2].serial)
        #expect(seen[6].replySerial == seen[4].serial)
        #expect(seen[0].sender == pair.client.uniqueName && seen[0].destination == pair.server.uniqueName)
        #expect(seen[5].sender == pair.server.uniqueName)
    }

    @Test("a monitor refuses to send, and its stream ends when it closes", arguments: TestBus.available)
    func monitorCannotSend(bus: TestBus) async throws {
        let monitor = try await Connection.connect(to: bus.address())
        let stream = try await monitor.becomeMonitor(matching: [try MatchRule(parsing: "sender='org.swiftbus.Test.Nobody'")])
        let refused = await #expect(throws: ConnectionError.self) { try await monitor.bus.getId() }
        guard case .monitoring = refused else {
            Issue.record("expected .monitoring, got \(String(describing: refused))")
            return
        }
        #expect(throws: ConnectionError.self) {
            try monitor.emitSignal(path: "/x", interface: "org.swiftbus.Test", member: "Nope")
        }
        #expect(monitor.isConnected)
        monitor.close()
        var iterator = stream.makeAsyncIterator()
        // Anything the bus sent before the close (a NameLost for the monitor's own name) may
        // come first; the stream must then end.
        var count = 0
        while try await iterator.next() != nil { count += 1 }
        #expect(count < 10)
        #expect(!monitor.isConnected)
    }
}
