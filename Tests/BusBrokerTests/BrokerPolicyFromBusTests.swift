// Broker Policy From Bus Tests: receive rules on the bus's own messages, log="true", and
// at_console decided from logind's state, on a real swiftbusd.
import DBusWire
import Foundation
import Testing

/// An open bus that refuses two of the driver's signals and logs one allowed interface.
private let busMessagePolicy = """
    <policy context="default">
      <allow send_destination="*"/>
      <allow receive_sender="*"/>
      <allow own="*"/>
      <deny receive_sender="org.freedesktop.DBus" receive_interface="org.freedesktop.DBus" receive_member="NameOwnerChanged"/>
      <deny receive_sender="org.freedesktop.DBus" receive_interface="org.freedesktop.DBus" receive_member="NameAcquired"/>
      <allow send_interface="com.example.Logged" log="true"/>
    </policy>
    """

/// Only a user with a seat may own the console name.
private let consolePolicy = """
    <policy context="default">
      <allow send_destination="*"/>
      <allow receive_sender="*"/>
      <allow own="*"/>
      <deny own="com.example.Console"/>
    </policy>
    <policy at_console="true">
      <allow own="com.example.Console"/>
    </policy>
    """

@Suite("swiftbusd policy on the bus's own messages", .serialized)
struct BrokerPolicyFromBusTests {
    @Test("receive rules apply to NameOwnerChanged and NameAcquired from org.freedesktop.DBus; refusals to the addressed peer are logged")
    func receiveFromBus() async throws {
        try await BrokerProcess.run(policy: busMessagePolicy) { broker in
            let watcher = try broker.client()
            for member in ["NameOwnerChanged", "Marker"] {
                #expect(try watcher.call(driverCall("AddMatch", [.string("type='signal',member='\(member)'")])).type == .methodReturn)
            }
            let owner = try broker.client()
            #expect(try owner.call(driverCall("RequestName", [.string("com.example.Owned"), .uint32(0)])).body == [.uint32(1)])
            try owner.send(.signal(path: "/", interface: "com.example.S", member: "Marker"))
            // The Marker was sent after the name changed hands: a NameOwnerChanged that got
            // through would arrive first.
            let first = try watcher.receive { $0.member == "NameOwnerChanged" || $0.member == "Marker" }
            #expect(first.member == "Marker")
            #expect(try owner.call(driverCall("GetId")).type == .methodReturn)
            #expect(!owner.backlog.contains { $0.member == "NameAcquired" })
            // Replies from the bus still arrive: only the named signals are refused.
            let refused = broker.logLines(containing: "Rejected receive message", "member=\"NameAcquired\"",
                                          "sender=\"(unset)\" ((bus))", "destination=\"\(owner.uniqueName)\"")
            #expect(refused.count == 2, "one for the unique name, one for com.example.Owned: \(broker.log)")
            // Broadcasts refused are not logged (dbus-daemon logs only addressed refusals).
            #expect(broker.logLines(containing: "member=\"NameOwnerChanged\"").isEmpty)
        }
    }

    @Test("an allowing rule with log=\"true\" delivers the message and logs \"Would reject message\"")
    func logRule() async throws {
        try await BrokerProcess.run(policy: busMessagePolicy) { broker in
            let sender = try broker.client()
            let receiver = try broker.client()
            try sender.send(.methodCall(path: "/", interface: "com.example.Logged", member: "Noted",
                                        destination: receiver.uniqueName, flags: .noReplyExpected))
            #expect(try receiver.receive { $0.member == "Noted" }.sender == sender.uniqueName)
            let lines = broker.logLines(containing: "Would reject message, ", "interface=\"com.example.Logged\"",
                                        "member=\"Noted\"", "sender=\"\(sender.uniqueName)\"")
            #expect(lines.count == 1, "\(broker.log)")
        }
    }

    @Test("at_console=\"true\" blocks apply to a user logind lists with a seat, and only then",
          arguments: [("seat0", true), ("", false)])
    func atConsole(seats: String, atConsole: Bool) async throws {
        let runtime = try FakeLogind(uid: getuid(), onlineSeats: seats)
        defer { runtime.remove() }
        try await BrokerProcess.run(policy: consolePolicy, environment: ["SWIFTBUSD_SYSTEMD_RUNTIME_DIR": runtime.path]) { broker in
            let client = try broker.client()
            let reply = try client.call(driverCall("RequestName", [.string("com.example.Console"), .uint32(0)]))
            if atConsole {
                #expect(reply.body == [.uint32(1)])
            } else {
                #expect(reply.errorName == "org.freedesktop.DBus.Error.AccessDenied")
            }
        }
    }
}

/// A directory laid out as logind's /run/systemd: `seats/` exists (logind runs) and
/// `users/UID` lists the user's online seats.
private struct FakeLogind {
    let path: String

    init(uid: uid_t, onlineSeats: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("logind-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path + "/seats", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/users", withIntermediateDirectories: true)
        try "# This is private data. Do not parse.\nNAME=test\nSTATE=active\nONLINE_SEATS=\(onlineSeats)\n"
            .write(toFile: path + "/users/\(uid)", atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
