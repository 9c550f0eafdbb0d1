// Policy Daemon Tests
//
// The same configuration and messages given to a real dbus-daemon and to PolicyEngine:
// the decisions and the AccessDenied texts must be identical.

import DBusWire
import Foundation
import Testing
@testable import BusBroker

private let tools = ["/usr/bin/dbus-daemon", "/usr/bin/dbus-send", "/usr/bin/dbus-test-tool"]

/// Runs a private dbus-daemon with a scenario's policy, a `dbus-test-tool echo` owning
/// `com.example.Echo` as the receiver, and one `dbus-send` per message. Every peer runs as
/// this test's user, so one `PeerPolicy` stands for both ends.
@Suite(.enabled(if: tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }, "needs dbus-daemon, dbus-send, dbus-test-tool"),
       .serialized)
struct PolicyDaemonTests {
    /// What the harness itself needs, in the mandatory block so a scenario's rules cannot
    /// prune it: the echo service's name, polling the driver, replies and errors coming
    /// back. None of these rules matches a scenario's calls to the echo service.
    static let harness = """
        <policy context="mandatory">
          <allow own="com.example.Echo"/>
          <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
          <allow receive_sender="org.freedesktop.DBus"/>
          <allow send_type="method_return"/>
          <allow receive_type="method_return"/>
          <allow receive_type="error"/>
        </policy>
        """

    struct Call: CustomStringConvertible {
        var interface: String
        var member: String
        var path = "/"
        var destination = "com.example.Echo"
        var arguments: [String] = []
        var description: String { "\(destination) \(interface).\(member)" }
    }

    struct Scenario: CustomStringConvertible {
        var name: String
        var rules: String
        var calls: [Call]
        /// How many of `calls` dbus-daemon refuses, so a scenario cannot quietly stop testing refusals.
        var refused: Int
        var description: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "system-style holes", rules: """
            <deny send_type="method_call"/>
            <allow send_destination="com.example.Echo" send_interface="com.example.Allowed"/>
            <allow receive_sender="*"/>
            """, calls: [Call(interface: "com.example.Allowed", member: "Ping"), Call(interface: "com.example.Other", member: "Ping")], refused: 1),
        Scenario(name: "broadcast deny prunes earlier rules", rules: """
            <allow send_interface="com.example.A"/>
            <deny send_broadcast="true"/>
            <allow receive_sender="*"/>
            """, calls: [Call(interface: "com.example.A", member: "Ping")], refused: 1),
        Scenario(name: "fd-range deny prunes earlier rules", rules: """
            <allow send_destination="*"/>
            <deny send_destination="*" min_fds="1"/>
            <allow receive_sender="*"/>
            """, calls: [Call(interface: "com.example.A", member: "Ping")], refused: 1),
        Scenario(name: "destination prefix and a narrower deny", rules: """
            <allow send_destination_prefix="com.example"/>
            <deny send_interface="com.example.Secret" send_member="Get"/>
            <allow receive_sender="*"/>
            """, calls: [Call(interface: "com.example.Secret", member: "Get"), Call(interface: "com.example.Secret", member: "Put"),
                         Call(interface: "com.example.Other", member: "Get", path: "/x")], refused: 1),
        Scenario(name: "receive deny", rules: """
            <allow send_destination="*"/>
            <allow receive_sender="*"/>
            <deny receive_interface="com.example.Private"/>
            <deny receive_path="/hidden" receive_member="Peek" receive_interface="com.example.Open"/>
            """, calls: [Call(interface: "com.example.Private", member: "Ping"), Call(interface: "com.example.Open", member: "Peek", path: "/hidden"),
                         Call(interface: "com.example.Open", member: "Peek", path: "/shown")], refused: 2),
        Scenario(name: "ownership", rules: """
            <allow send_destination="*"/>
            <allow receive_sender="*"/>
            <allow own_prefix="com.example.Mine"/>
            """, calls: [
                Call(interface: "org.freedesktop.DBus", member: "RequestName", destination: "org.freedesktop.DBus",
                     arguments: ["string:com.example.Mine.Too", "uint32:0"]),
                Call(interface: "org.freedesktop.DBus", member: "RequestName", destination: "org.freedesktop.DBus",
                     arguments: ["string:com.example.Mines", "uint32:0"]),
            ], refused: 1),
    ]

    @Test(arguments: scenarios)
    func sameDecisionsAndTexts(_ scenario: Scenario) async throws {
        try await offPool {
            let bus = try PrivateDaemon(rules: scenario.rules + "\n" + Self.harness)
            defer { bus.stop() }
            let policy = bus.engine.policy(forUser: geteuid(), groups: SystemUserDatabase().groups(ofUser: geteuid()) ?? [])
            var refused = 0
            for call in scenario.calls {
                let sent = try bus.send(call)
                let expected = expectation(for: call, policy: policy, sender: sent, bus: bus)
                if sent.error.contains("AccessDenied") { refused += 1 }
                if let expected {
                    #expect(sent.error == "Error org.freedesktop.DBus.Error.AccessDenied: \(expected)", "\(call)")
                } else {
                    #expect(sent.status == 0 && sent.error.isEmpty, "\(call): \(sent.error)")
                }
            }
            #expect(refused == scenario.refused)
        }
    }

    /// Our AccessDenied text for `call`, or nil if we would deliver it.
    private func expectation(for call: Call, policy: PeerPolicy, sender: PrivateDaemon.Sent, bus: PrivateDaemon) -> String? {
        let senderPeer = AccessDeniedText.Peer(name: sender.uniqueName, logInfo: sender.logInfo)
        if call.member == "RequestName" {
            let name = String(call.arguments[0].dropFirst("string:".count))
            return policy.canOwn(name) ? nil : AccessDeniedText.ownershipDenied(connection: sender.uniqueName, name: name)
        }
        let message = TestMessage(.methodCall, path: call.path, interface: call.interface, member: call.member, destination: call.destination)
        return withExtendedLifetime(message) { () -> String? in
            let echo = PolicyHeldNames([bus.echoName, "com.example.Echo"])
            let echoPeer = AccessDeniedText.Peer(name: bus.echoName, logInfo: bus.echoLogInfo)
            if case .deny(let matched) = policy.checkSend(message.fields, requestedReply: false, to: echo) {
                return AccessDeniedText.message(.rejectedSend, matchedRules: matched, message: message.fields, requestedReply: false,
                                                sender: senderPeer, receiver: echoPeer)
            }
            let from = PolicyHeldNames([sender.uniqueName])
            if case .deny(let matched) = policy.checkReceive(message.fields, requestedReply: false, from: from) {
                return AccessDeniedText.message(.rejectedReceive, matchedRules: matched, message: message.fields, requestedReply: false,
                                                sender: senderPeer, receiver: echoPeer)
            }
            return nil
        }
    }
}

/// A dbus-daemon on a socket in a fresh directory, with an echo service connected.
private final class PrivateDaemon {
    /// How long to wait for the daemon's address and the echo service's name.
    static let startTimeout: TimeInterval = 5
    /// dbus-send's own reply timeout, so a scenario that swallows a reply fails fast.
    static let replyTimeoutMilliseconds = 2000
    static let pollInterval: useconds_t = 10_000

    let directory: String
    let address: String
    let engine: PolicyEngine
    let daemon: Process
    let echo: Process
    let echoName = ":1.0"
    let echoLogInfo: String
    /// Connections made so far; dbus-daemon numbers them :1.0, :1.1, … in order.
    private var connections = 1

    struct Sent {
        var status: Int32
        var error: String
        var uniqueName: String
        var logInfo: String
    }

    init(rules: String) throws {
        var template = Array("/tmp/swiftbus-policy-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PolicyDaemonError("mkdtemp failed") }
        directory = String(cString: made)
        let text = """
            <busconfig>
              <type>custom</type>
              <listen>unix:path=\(directory)/bus</listen>
              <auth>EXTERNAL</auth>
              <policy context="default"><allow user="*"/>
            \(rules.replacingOccurrences(of: "<policy context=\"mandatory\">", with: "</policy><policy context=\"mandatory\">"))
            </busconfig>
            """
        // The scenario's rules open the default block; the harness's mandatory block closes it.
        let configPath = directory + "/bus.conf"
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        engine = PolicyEngine(config: try ConfigLoader().load(file: configPath))

        daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        daemon.arguments = ["--config-file=\(configPath)", "--nofork", "--print-address=1"]
        let output = Pipe()
        daemon.standardOutput = output
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        address = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard address.hasPrefix("unix:") else {
            kill(daemon.processIdentifier, SIGKILL)
            throw PolicyDaemonError("dbus-daemon printed \(line)")
        }

        echo = Process()
        echo.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-test-tool")
        echo.arguments = ["echo", "--name=com.example.Echo"]
        echo.environment = ["DBUS_SESSION_BUS_ADDRESS": address]
        echo.standardOutput = FileHandle.nullDevice
        echo.standardError = FileHandle.nullDevice
        try echo.run()
        echoLogInfo = Self.logInfo(echo)
        do { try waitForEcho() } catch {
            stop()
            throw error
        }
    }

    /// SIGKILL, not `terminate()`: children started from the test runner's threads inherit
    /// a signal mask that blocks SIGTERM (seen in /proc/PID/status), so they would not die.
    func stop() {
        for process in [echo, daemon] where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func waitForEcho() throws {
        let deadline = Date().addingTimeInterval(Self.startTimeout)
        while Date() < deadline {
            let probe = try run(["--print-reply", "--dest=org.freedesktop.DBus", "/", "org.freedesktop.DBus.NameHasOwner",
                                 "string:com.example.Echo"])
            if probe.output.contains("boolean true") { return }
            usleep(Self.pollInterval)
        }
        throw PolicyDaemonError("com.example.Echo never appeared on \(address)")
    }

    func send(_ call: PolicyDaemonTests.Call) throws -> Sent {
        let result = try run(["--print-reply", "--dest=\(call.destination)", call.path, "\(call.interface).\(call.member)"] + call.arguments)
        return Sent(status: result.status, error: result.error.trimmingCharacters(in: .newlines), uniqueName: result.uniqueName,
                    logInfo: result.logInfo)
    }

    private func run(_ arguments: [String]) throws
        -> (status: Int32, output: String, error: String, uniqueName: String, logInfo: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-send")
        process.arguments = ["--bus=\(address)", "--reply-timeout=\(Self.replyTimeoutMilliseconds)"] + arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let logInfo = Self.logInfo(process)
        let uniqueName = ":1.\(connections)"
        connections += 1
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), uniqueName, logInfo)
    }

    /// The loginfo dbus-daemon will write for `process`: its argv is its /proc cmdline.
    static func logInfo(_ process: Process) -> String {
        let argv = [process.executableURL!.path] + (process.arguments ?? [])
        var cmdline: [UInt8] = []
        for argument in argv { cmdline += Array(argument.utf8) + [0] }
        return AccessDeniedText.logInfo(uid: geteuid(), pid: process.processIdentifier,
                                        command: AccessDeniedText.command(fromCmdline: cmdline))
    }
}

private struct PolicyDaemonError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
