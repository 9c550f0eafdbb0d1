// Broker Policy Tests: swiftbusd enforcing deny rules, checked against dbus-daemon.
import DBusWire
import Foundation
import Testing

/// A policy with one hole of each kind punched into an open bus.
private let restrictivePolicy = """
    <policy context="default">
      <allow send_destination="*"/>
      <allow receive_sender="*"/>
      <allow own="*"/>
      <deny send_interface="com.example.Forbidden"/>
      <deny receive_interface="com.example.Unreceivable"/>
      <deny own="com.example.NotYours"/>
    </policy>
    """

private let accessDenied = "org.freedesktop.DBus.Error.AccessDenied"

/// Runs the same conversation on the bus at `address`: refusals, then allowed traffic that
/// must arrive first (so a denied message that leaked through would be seen).
private func converse(on address: String) throws -> [String] {
    let service = try TestClient(address: address)
    let caller = try TestClient(address: address)
    let serviceName = try service.connect()
    let callerName = try caller.connect()
    #expect(try service.call(driverCall("RequestName", [.string("com.example.Service"), .uint32(0)])).body == [.uint32(1)])
    for interface in ["com.example.Unreceivable", "com.example.Allowed"] {
        _ = try caller.call(driverCall("AddMatch", [.string("type='signal',interface='\(interface)'")]))
    }

    func call(_ interface: String) throws -> Message {
        try caller.call(.methodCall(path: "/", interface: interface, member: "Ping", destination: "com.example.Service"))
    }
    var refusals = [try call("com.example.Forbidden"), try call("com.example.Unreceivable")]
    refusals.append(try caller.call(driverCall("RequestName", [.string("com.example.NotYours"), .uint32(0)])))
    refusals.append(try caller.call(driverCall("RequestName", [.string("org.freedesktop.DBus"), .uint32(0)])))

    let serial = try caller.send(.methodCall(path: "/", interface: "com.example.Allowed", member: "Ping", destination: "com.example.Service"))
    let delivered = try service.receive { $0.member == "Ping" }
    #expect(delivered.interface == "com.example.Allowed")
    try service.send(.methodReturn(replyTo: delivered, body: [.string("pong")]))
    let answer = try caller.receive { $0.replySerial == serial }
    #expect(answer.type == .methodReturn && answer.body == [.string("pong")])

    try service.send(.signal(path: "/", interface: "com.example.Unreceivable", member: "Sig"))
    try service.send(.signal(path: "/", interface: "com.example.Allowed", member: "Sig"))
    let signal = try caller.receive { $0.member == "Sig" }
    #expect(signal.interface == "com.example.Allowed")

    return refusals.map { reply in
        guard case .string(let text)? = reply.body.first else { return "\(reply.errorName ?? "(no error)") without a text" }
        return "\(reply.errorName ?? "(no error)"): "
            + text.replacingOccurrences(of: "\"\(serviceName)\"", with: "\"SERVICE\"")
            .replacingOccurrences(of: "\"\(callerName)\"", with: "\"CALLER\"")
    }
}

@Suite("swiftbusd policy", .serialized)
struct BrokerPolicyTests {
    @Test("deny rules refuse send, receive and ownership; allowed traffic still flows")
    func denyRules() async throws {
        try await BrokerProcess.run(policy: restrictivePolicy) { broker in
            let seen = try converse(on: broker.address)
            try #require(seen.count == 4)
            #expect(seen[0].hasPrefix("\(accessDenied): Rejected send message, 2 matched rules; type=\"method_call\""))
            #expect(seen[0].contains("interface=\"com.example.Forbidden\" member=\"Ping\""))
            #expect(seen[0].contains("sender=\"CALLER\"") && seen[0].contains("destination=\"com.example.Service\""))
            #expect(seen[1].hasPrefix("\(accessDenied): Rejected receive message, "))
            #expect(seen[2] == "\(accessDenied): Connection \"CALLER\" is not allowed to own the service "
                    + "\"com.example.NotYours\" due to security policies in the configuration file")
            // Reserved names are refused before the policy is asked.
            #expect(!seen[3].hasPrefix(accessDenied))
        }
    }

    @Test("the open session policy refuses nothing")
    func openPolicy() async throws {
        try await BrokerProcess.run { broker in
            let client = try broker.client()
            let reply = try client.call(driverCall("RequestName", [.string("com.example.NotYours"), .uint32(0)]))
            #expect(reply.body == [.uint32(1)])
        }
    }

    @Test("the refusal texts are dbus-daemon's, word for word",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dbus-daemon")))
    func sameTextsAsDBusDaemon() async throws {
        try await BrokerProcess.run(policy: restrictivePolicy) { broker in
            let ours = try converse(on: broker.address)
            let daemon = try ReferenceDaemon(policy: restrictivePolicy)
            defer { daemon.stop() }
            let theirs = try converse(on: daemon.address)
            #expect(ours == theirs)
        }
    }
}

/// A dbus-daemon with the same configuration as `BrokerProcess` writes.
private final class ReferenceDaemon {
    let process = Process()
    let address: String
    let directory: URL

    init(policy: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dbus-daemon-policy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = """
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(directory.path)/bus</listen>
              <auth>EXTERNAL</auth>
            \(policy)
            </busconfig>
            """
        let configFile = directory.appendingPathComponent("bus.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        process.arguments = ["--config-file=\(configFile.path)", "--nofork", "--print-address=1"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw BrokerStartFailure(log: "dbus-daemon printed no address") }
            line.append(chunk)
        }
        address = String(decoding: line.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// SIGKILL: a dbus-daemon started here was seen to outlive the SIGTERM of `terminate()`.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
