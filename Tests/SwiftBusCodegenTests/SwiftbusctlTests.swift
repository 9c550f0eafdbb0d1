// Swiftbusctl Tests: swiftbusctl as a real process against dbus-daemon, beside busctl.
import Foundation
import SwiftBus
import Synchronization
import Testing

/// Set when a background swiftbusctl finished, so the emitting loop stops.
final class DoneFlag: Sendable {
    let done = Mutex(false)
}

@Suite struct SwiftbusctlTests {
    static let driver = ["org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus"]

    func ctl(_ arguments: [String]) throws -> ProcessResult {
        try run(Paths.buildDirectory + "/swiftbusctl", ["--address", ReferenceBus.shared.address] + arguments)
    }

    func busctl(_ arguments: [String]) throws -> ProcessResult {
        try run("/usr/bin/busctl", ["--address=\(ReferenceBus.shared.address)"] + arguments)
    }

    @Test(arguments: [
        ["call"] + driver + ["GetConnectionUnixUser", "s", "org.freedesktop.DBus"],
        ["call"] + driver + ["NameHasOwner", "s", "org.freedesktop.DBus"],
        ["call"] + driver + ["GetNameOwner", "s", "org.freedesktop.DBus"],
        ["call"] + driver + ["ListQueuedOwners", "s", "org.freedesktop.DBus"],
        ["call"] + driver + ["AddMatch", "s", "type='signal',member='Nothing'"],
        ["get-property"] + driver + ["Features"],
        ["get-property"] + driver + ["Interfaces"],
        ["introspect", "org.freedesktop.DBus", "/org/freedesktop/DBus"],
        ["tree", "org.freedesktop.DBus"],
        ["--json=short", "call"] + driver + ["GetConnectionCredentials", "s", "org.freedesktop.DBus"],
        ["--json=short", "call"] + driver + ["ListQueuedOwners", "s", "org.freedesktop.DBus"],
        ["--json=short", "get-property"] + driver + ["Features"],
    ])
    func outputMatchesBusctl(_ arguments: [String]) throws {
        for address in ReferenceBus.all.map(\.address) {
            let ours = try run(Paths.buildDirectory + "/swiftbusctl", ["--address", address] + arguments)
            let busctlArguments = arguments.first == "tree" ? ["tree", "--list"] + arguments.dropFirst() : arguments
            let theirs = try run("/usr/bin/busctl", ["--address=\(address)"] + busctlArguments)
            #expect(ours.status == 0, "\(address): \(ours.standardError)")
            #expect(ours.standardOutput == theirs.standardOutput, "\(address)")
        }
    }

    @Test func listShowsTheDriverLikeBusctl() throws {
        let ours = try ctl(["list"]).standardOutput.split(separator: "\n")
        let theirs = try busctl(["list"]).standardOutput.split(separator: "\n")
        let driverRow = { (lines: [Substring]) in lines.first { $0.hasPrefix("org.freedesktop.DBus ") }?.split(separator: " ").prefix(4) }
        #expect(driverRow(ours) != nil)
        #expect(driverRow(ours).map(Array.init) == driverRow(theirs).map(Array.init))
        #expect(ours.first?.hasPrefix("NAME") == true)
    }

    @Test func dictionaryAndVariantArgumentsRoundTrip() throws {
        // UpdateActivationEnvironment takes a{ss}; Ping takes nothing; a bad count fails.
        let result = try ctl(["call"] + Self.driver + ["UpdateActivationEnvironment", "a{ss}", "2", "K1", "v1", "K2", "v2"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test(arguments: [
        ["s"], ["s", "a", "b"], ["u", "-1"], ["y", "256"], ["as", "3", "a"], ["as", "x"], ["v", "ii", "1", "2"],
        ["b", "maybe"], ["o", "not/a/path"], ["a{", "1"], ["h", "0"], ["as", "99999999999999999999"],
    ])
    func badArgumentsFailWithOneLine(_ words: [String]) throws {
        let result = try ctl(["call"] + Self.driver + ["GetNameOwner"] + words)
        #expect(result.status != 0)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test func busErrorIsOneLine() throws {
        let result = try ctl(["call"] + Self.driver + ["GetNameOwner", "s", "org.example.Nobody"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("org.freedesktop.DBus.Error.NameHasNoOwner"))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test func waitSeesWhatEmitSends() async throws {
        let address = ReferenceBus.shared.address
        let flag = DoneFlag()
        let waiter = Task {
            defer { flag.done.withLock { $0 = true } }
            return try await runInBackground("/usr/bin/timeout", ["-s", "KILL", Feeding.processDeadline, Paths.buildDirectory + "/swiftbusctl", "--address", address, "wait", "--timeout", "20", "/t", "org.example.T", "Ping"])
        }
        // The waiter's match rule must be on the bus before the signal; emit until it is heard.
        for _ in 0..<Feeding.attempts {
            _ = try ctl(["emit", "/t", "org.example.T", "Ping", "sa{sv}", "hi", "1", "k", "i", "3"])
            try await Task.sleep(for: .milliseconds(250))
            if flag.done.withLock({ $0 }) { break }
        }
        let result = try await waiter.value
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "sa{sv} \"hi\" 1 \"k\" i 3\n")
    }

    @Test func monitorJSONPrintsSignals() async throws {
        let address = ReferenceBus.shared.address
        let flag = DoneFlag()
        let monitor = Task {
            defer { flag.done.withLock { $0 = true } }
            return try await runInBackground("/usr/bin/timeout", [
                "-s", "KILL", Feeding.processDeadline, Paths.buildDirectory + "/swiftbusctl", "--address", address, "monitor", "--json", "--count", "1", "--match", "type='signal',interface='org.example.M'",
            ])
        }
        for _ in 0..<Feeding.attempts {
            _ = try ctl(["emit", "/m", "org.example.M", "Tick", "u", "5"])
            try await Task.sleep(for: .milliseconds(250))
            if flag.done.withLock({ $0 }) { break }
        }
        let result = try await monitor.value
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains(#""member":"Tick""#))
        #expect(result.standardOutput.contains(#""payload":{"type":"u","data":[5]}"#))
        // Exactly one line, and it is a JSON object Foundation can read.
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(lines.first.map(String.init)?.utf8 ?? "".utf8)) as? [String: Any]
        #expect(object?["type"] as? String == "signal")
    }
}

extension SwiftbusctlTests {
    @Test func waitTimesOutWithOneLine() throws {
        let result = try ctl(["wait", "--timeout", "0.3", "/none", "org.example.None", "Never"])
        #expect(result.status == 1)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    }

    @Test func monitorReadablePrintsFieldsAndBody() async throws {
        let address = ReferenceBus.shared.address
        let flag = DoneFlag()
        let monitor = Task {
            defer { flag.done.withLock { $0 = true } }
            return try await runInBackground("/usr/bin/timeout", [
                "-s", "KILL", Feeding.processDeadline, Paths.buildDirectory + "/swiftbusctl", "--address", address, "monitor", "--count", "1", "--match", "type='signal',interface='org.example.R'",
            ])
        }
        for _ in 0..<Feeding.attempts {
            _ = try ctl(["emit", "/r", "org.example.R", "Tock", "as", "2", "x", "y z"])
            try await Task.sleep(for: .milliseconds(250))
            if flag.done.withLock({ $0 }) { break }
        }
        let result = try await monitor.value
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("Type=signal"))
        #expect(result.standardOutput.contains("Path=/r  Interface=org.example.R  Member=Tock"))
        #expect(result.standardOutput.contains(#"MESSAGE "as" 2 "x" "y z""#))
    }
}

/// swiftbusctl against an object served in this process through generated code.
@Suite struct SwiftbusctlServedObjectTests {
    func withServedShapes(_ body: (String) async throws -> Void) async throws {
        let server = try await Connection.connect(to: ReferenceBus.shared.address)
        defer { server.close() }
        server.export(ShapesObject().implementation(), at: "/shapes")
        try await body(server.uniqueName)
    }

    func both(_ arguments: [String]) async throws -> (ours: ProcessResult, theirs: ProcessResult) {
        let address = ReferenceBus.shared.address
        async let ours = runInBackground(Paths.buildDirectory + "/swiftbusctl", ["--address", address] + arguments)
        async let theirs = runInBackground("/usr/bin/busctl", ["--address=\(address)"] + arguments)
        return try await (ours, theirs)
    }

    @Test func setAndGetPropertyAgreeWithBusctl() async throws {
        try await withServedShapes { name in
            let set = try await runInBackground(Paths.buildDirectory + "/swiftbusctl", [
                "--address", ReferenceBus.shared.address, "set-property", name, "/shapes", "org.example.Shapes", "Name", "s", "tri\"angle",
            ])
            #expect(set.status == 0, "\(set.standardError)")
            for property in ["Name", "Origin"] {
                let (ours, theirs) = try await both(["get-property", name, "/shapes", "org.example.Shapes", property])
                #expect(ours.standardOutput == theirs.standardOutput)
                #expect(!ours.standardOutput.isEmpty)
            }
        }
    }

    @Test func callsWithStructsAndDictionariesAgreeWithBusctl() async throws {
        try await withServedShapes { name in
            for call in [
                ["Move", "(ii)i", "1", "2", "5"],
                ["Describe", "a(sa{sv})", "2", "a", "2", "k", "s", "v", "n", "d", "1.5", "b", "0"],
                ["Default", "s", "tab\there"],
            ] {
                let (ours, theirs) = try await both(["call", name, "/shapes", "org.example.Shapes"] + call)
                #expect(ours.status == 0, "\(ours.standardError)")
                #expect(ours.standardOutput == theirs.standardOutput, "\(call)")
            }
        }
    }

    @Test func introspectTableAgreesWithBusctl() async throws {
        try await withServedShapes { name in
            let (ours, theirs) = try await both(["introspect", name, "/shapes", "org.example.Shapes"])
            #expect(ours.status == 0, "\(ours.standardError)")
            // busctl (systemd 252) prints "-" as the value of the struct property Origin; we print it.
            let withoutOrigin = { (text: String) in text.split(separator: "\n").filter { !$0.hasPrefix(".Origin ") } }
            #expect(withoutOrigin(ours.standardOutput) == withoutOrigin(theirs.standardOutput))
            #expect(ours.standardOutput.contains(".Origin            property  (dd)      0.5 -2       -"))
        }
    }

    @Test func userFlagUsesTheSessionAddress() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SESSION_BUS_ADDRESS"] = ReferenceBus.shared.address
        let result = try run(Paths.buildDirectory + "/swiftbusctl", ["--user", "status", "org.freedesktop.DBus"], environment: environment)
        #expect(result.status == 0, "\(result.standardError)")
        let theirs = try run("/usr/bin/busctl", ["--address=\(ReferenceBus.shared.address)", "status", "org.freedesktop.DBus"])
        let keys = ["PID=", "PPID=", "UID=", "EUID=", "SUID=", "FSUID=", "GID=", "EGID=", "SGID=", "FSGID=", "SupplementaryGIDs=",
                    "Comm=", "Exe=", "CommandLine=", "CGroup="]
        for key in keys {
            let ourLine = result.standardOutput.split(separator: "\n").first { $0.hasPrefix(key) }
            #expect(ourLine != nil && ourLine == theirs.standardOutput.split(separator: "\n").first { $0.hasPrefix(key) }, "\(key)")
        }
    }
}

extension SwiftbusctlTests {
    @Test func systemFlagUsesTheSystemAddress() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SYSTEM_BUS_ADDRESS"] = ReferenceBus.broker.address
        let result = try run(Paths.buildDirectory + "/swiftbusctl", ["--system", "call"] + Self.driver + ["GetId"], environment: environment)
        let theirs = try busctl(["call"] + Self.driver + ["GetId"])
        #expect(result.status == 0, "\(result.standardError)")
        // The broker's bus id, not the dbus-daemon's that --address names in busctl().
        #expect(result.standardOutput.hasPrefix("s \""))
        #expect(result.standardOutput != theirs.standardOutput)
    }

    @Test func unreachableBusIsOneLine() throws {
        let result = try run(Paths.buildDirectory + "/swiftbusctl", ["--address", "unix:path=/nonexistent/bus", "list"])
        #expect(result.status == 1)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    }

    @Test func conflictingBusOptionsAreRejected() throws {
        let result = try run(Paths.buildDirectory + "/swiftbusctl", ["--user", "--system", "list"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("exclude each other"))
    }
}
