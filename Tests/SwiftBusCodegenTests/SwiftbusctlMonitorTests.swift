// Swiftbusctl Monitor Tests: `swiftbusctl monitor --json` as a real process sees calls and replies.
import Foundation
import SwiftBus
import Synchronization
import Testing

/// The lines a running process has printed so far, gathered from its pipe's handler thread.
final class PrintedLines: Sendable {
    private let state = Mutex((pending: Data(), lines: [String]()))

    func append(_ data: Data) {
        state.withLock { state in
            state.pending.append(data)
            while let newline = state.pending.firstIndex(of: 10) {
                state.lines.append(String(decoding: state.pending[state.pending.startIndex..<newline], as: UTF8.self))
                state.pending = Data(state.pending[(newline + 1)...])
            }
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
}

@Suite struct SwiftbusctlMonitorTests {
    static let buses: [String: ReferenceBus?] = ["dbus-daemon": ReferenceBus.shared, "dbus-broker": ReferenceBus.broker, "swiftbusd": ReferenceBus.swiftbusd]

    /// The JSON objects printed so far.
    static func objects(_ lines: [String]) -> [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("monitor --json shows busctl's calls to a served name, the return and the error reply",
          arguments: ["dbus-daemon", "dbus-broker", "swiftbusd"])
    func monitorShowsCallsAndReplies(bus: String) async throws {
        guard let reference = Self.buses[bus] ?? nil else { return }
        let address = reference.address
        let server = try await Connection.connect(to: address)
        defer { server.close() }
        let name = "org.swiftbus.MonitorTest.N\(UInt32.random(in: 0...UInt32.max))"
        #expect(try await server.requestName(name) == .primaryOwner)

        let monitor = Process()
        monitor.executableURL = URL(fileURLWithPath: Paths.buildDirectory + "/swiftbusctl")
        // A bare name: traffic from and to it, as busctl monitor NAME shows.
        monitor.arguments = ["--address", address, "monitor", "--json", name]
        let out = Pipe()
        monitor.standardOutput = out
        monitor.standardError = FileHandle.nullDevice
        let printed = PrintedLines()
        out.fileHandleForReading.readabilityHandler = { handle in printed.append(handle.availableData) }
        try monitor.run()
        defer {
            // It inherits the test runner's blocked signals; SIGKILL needs no handler.
            kill(monitor.processIdentifier, SIGKILL)
            monitor.waitUntilExit()
            out.fileHandleForReading.readabilityHandler = nil
        }

        // The monitor is ready at some unknown moment: call until it has shown a whole exchange.
        var seen: [[String: Any]] = []
        for _ in 0..<Feeding.attempts {
            _ = try await runInBackground("/usr/bin/busctl", ["--address=\(address)", "call", name, "/m", "org.freedesktop.DBus.Peer", "Ping"])
            _ = try await runInBackground("/usr/bin/busctl", ["--address=\(address)", "call", name, "/m", "org.example.Missing", "Nope"])
            try await Task.sleep(for: .milliseconds(100))
            seen = Self.objects(printed.lines)
            // The monitor may start between the two calls: wait for a round with both whole.
            let types = Set(seen.compactMap { $0["type"] as? String })
            let members = Set(seen.compactMap { $0["member"] as? String })
            if types.isSuperset(of: ["method_return", "error"]) && members.isSuperset(of: ["Ping", "Nope"]) { break }
        }
        let ping = try #require(seen.first { $0["type"] as? String == "method_call" && $0["member"] as? String == "Ping" })
        let pingCookie = try #require(ping["cookie"] as? Int)
        #expect(ping["interface"] as? String == "org.freedesktop.DBus.Peer")
        #expect(ping["path"] as? String == "/m")
        let pong = try #require(seen.first { $0["type"] as? String == "method_return" && $0["reply_cookie"] as? Int == pingCookie && $0["destination"] as? String == ping["sender"] as? String })
        #expect(pong["sender"] as? String == server.uniqueName)
        let nope = try #require(seen.first { $0["type"] as? String == "method_call" && $0["member"] as? String == "Nope" })
        let failure = try #require(seen.first { $0["type"] as? String == "error" && $0["reply_cookie"] as? Int == nope["cookie"] as? Int && $0["destination"] as? String == nope["sender"] as? String })
        #expect((failure["error_name"] as? String)?.hasPrefix("org.freedesktop.DBus.Error.Unknown") == true)
        // Each reply comes after its call.
        let index = { (object: [String: Any]) in seen.firstIndex { ($0 as NSDictionary).isEqual(to: object) } }
        #expect((index(ping) ?? .max) < (index(pong) ?? -1))
        #expect((index(nope) ?? .max) < (index(failure) ?? -1))
    }

    @Test func monitorReadableShowsCallFields() async throws {
        let address = ReferenceBus.shared.address
        let name = "org.swiftbus.MonitorTest.R\(UInt32.random(in: 0...UInt32.max))"
        let server = try await Connection.connect(to: address)
        defer { server.close() }
        #expect(try await server.requestName(name) == .primaryOwner)
        let flag = DoneFlag()
        let monitor = Task {
            defer { flag.done.withLock { $0 = true } }
            return try await runInBackground("/usr/bin/timeout", [
                "-s", "KILL", Feeding.processDeadline, Paths.buildDirectory + "/swiftbusctl", "--address", address, "monitor", "--count", "2", "--match", "destination='\(name)'", "--match", "sender='\(name)'",
            ])
        }
        for _ in 0..<Feeding.attempts {
            _ = try await runInBackground("/usr/bin/busctl", ["--address=\(address)", "call", name, "/p", "org.freedesktop.DBus.Peer", "Ping"])
            try await Task.sleep(for: .milliseconds(100))
            if flag.done.withLock({ $0 }) { break }
        }
        let result = try await monitor.value
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("Type=method_call"))
        #expect(result.standardOutput.contains("Path=/p  Interface=org.freedesktop.DBus.Peer  Member=Ping"))
        #expect(result.standardOutput.contains("Type=method_return"))
        #expect(result.standardOutput.contains("  Sender=\(server.uniqueName)"))
    }
}
