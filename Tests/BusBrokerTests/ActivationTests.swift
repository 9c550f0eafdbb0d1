// Activation Tests: StartServiceByName, auto-start and their failures, on a real swiftbusd
// starting real service processes.
import DBusWire
import Foundation
import Testing

@Suite("swiftbusd activation", .serialized)
struct ActivationTests {
    @Test("ListActivatableNames: the bus and every good file; a broken file is logged with its line and skipped")
    func listActivatableNames() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.A", exec: "/bin/true")
        try bus.writeFile("other-name.service", "# comment\n[D-BUS Service]\nName=org.example.B\nExec=/bin/true\n")
        try bus.writeFile("broken.service", "[D-BUS Service]\nName=org.example.C\nExec=/bin/true\nName=org.example.D\n")
        try bus.writeFile("ignored.txt", "[D-BUS Service]\nName=org.example.E\nExec=/bin/true\n")
        let client = try bus.client()
        let reply = try client.call(driverCall("ListActivatableNames"))
        guard case .array(_, let items)? = reply.body.first else { Issue.record("no array: \(reply)"); return }
        let names = items.compactMap { item -> String? in if case .string(let s) = item { s } else { nil } }
        #expect(names.sorted() == ["org.example.A", "org.example.B", "org.freedesktop.DBus"])
        #expect(bus.broker.log.contains("broken.service:4: key \"Name\" is set twice in this group"))
        #expect(try client.call(driverCall("GetId")).type == .methodReturn)
    }

    @Test("StartServiceByName starts the service: SUCCESS once it owns the name, ALREADY_RUNNING after")
    func startServiceByName() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.Echo", exec: ActivationBus.echoExec("org.example.Echo"))
        let client = try bus.client()
        #expect(try client.call(startService("org.example.Echo")).body == [.uint32(1)])
        #expect(try client.call(driverCall("NameHasOwner", [.string("org.example.Echo")])).body == [.boolean(true)])
        #expect(try client.call(startService("org.example.Echo")).body == [.uint32(2)])
        #expect(try client.call(callService("org.example.Echo")).type == .methodReturn)
    }

    @Test("auto-start: calls to an activatable name are held and delivered in order once it is taken")
    func autoStart() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.Auto", exec: ActivationBus.echoExec("org.example.Auto"))
        let client = try bus.client()
        let first = try client.send(callService("org.example.Auto"))
        let second = try client.send(callService("org.example.Auto"))
        let isReply = { (message: Message) in message.type == .methodReturn || message.type == .error }
        let replies = [try client.receive(where: isReply), try client.receive(where: isReply)]
        #expect(replies.map(\.type) == [.methodReturn, .methodReturn])
        #expect(replies.map(\.replySerial) == [first, second])
        let owner = try client.call(driverCall("GetNameOwner", [.string("org.example.Auto")]))
        #expect(replies.allSatisfy { $0.sender == (owner.body.first.flatMap { if case .string(let s) = $0 { s } else { nil } }) })
    }

    @Test("NO_AUTO_START: the name is not started and the caller gets NameHasNoOwner, as from dbus-daemon")
    func noAutoStart() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.Lazy", exec: ActivationBus.echoExec("org.example.Lazy"))
        let client = try bus.client()
        let reply = try client.call(callService("org.example.Lazy", flags: .noAutoStart))
        #expect(reply.errorText == ("org.freedesktop.DBus.Error.NameHasNoOwner", "Name \"org.example.Lazy\" does not exist"))
        #expect(try client.call(driverCall("NameHasOwner", [.string("org.example.Lazy")])).body == [.boolean(false)])
    }

    @Test("a service that exits without taking its name: Spawn.ChildExited, to StartServiceByName and to held calls; reaped")
    func childExited() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.Exits", exec: "/bin/sh -c \"exit 3\"")
        let client = try bus.client()
        let expected = ("org.freedesktop.DBus.Error.Spawn.ChildExited", "Process org.example.Exits exited with status 3")
        #expect(try client.call(startService("org.example.Exits")).errorText == expected)
        #expect(try client.call(callService("org.example.Exits")).errorText == expected)
        #expect(bus.zombieChildren().isEmpty)
    }

    @Test("a service that daemonizes (exits 0, its child takes the name) still starts: exit 0 is not a failure")
    func daemonizing() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.Forks", exec: "/bin/sh -c \"(sleep 0.2; exec \(ActivationBus.echoExec("org.example.Forks"))) & exit 0\"")
        let client = try bus.client()
        #expect(try client.call(startService("org.example.Forks")).body == [.uint32(1)])
    }

    @Test("a system bus with a <servicehelper> runs `helper NAME` and reads its exit codes; a file without User= is refused")
    func serviceHelper() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("helper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let helper = scratch.appendingPathComponent("helper")
        let arguments = scratch.appendingPathComponent("arguments")
        try "#!/bin/sh\necho \"$@\" > \(arguments.path)\nexit 6\n".write(to: helper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper.path)
        let bus = try ActivationBus(extraConfig: "<servicehelper>\(helper.path)</servicehelper>")
        defer { bus.stop() }
        try bus.addService("org.example.Helped", exec: "/bin/false", extra: "User=nobody\n")
        try bus.addService("org.example.NoUser", exec: "/bin/false")
        let client = try bus.client()
        #expect(try client.call(startService("org.example.Helped")).errorText ==
                ("org.freedesktop.DBus.Error.Spawn.ServiceNotFound", "Bus name not found in system service directory"))
        #expect(try String(contentsOf: arguments, encoding: .utf8) == "org.example.Helped\n")
        #expect(try client.call(startService("org.example.NoUser")).errorText ==
                ("org.freedesktop.DBus.Error.Spawn.FileInvalid", "Cannot do system-bus activation with no user\n"))
        let update = driverCall("UpdateActivationEnvironment", [.dictionary(key: .string, value: .string, [])])
        #expect(try client.call(update).errorText ==
                ("org.freedesktop.DBus.Error.AccessDenied", "Cannot change activation environment on a system bus."))
    }

    @Test("a service that crashes: Spawn.ChildSignaled with the signal number")
    func childSignaled() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.Crashes", exec: "/bin/sh -c \"kill -SEGV $$\"")
        let client = try bus.client()
        #expect(try client.call(startService("org.example.Crashes")).errorText ==
                ("org.freedesktop.DBus.Error.Spawn.ChildSignaled", "Process org.example.Crashes received signal 11"))
    }

    @Test("a missing binary: Spawn.ExecFailed with the system's reason")
    func execFailed() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        try bus.addService("org.example.Missing", exec: "/nonexistent/swiftbus-service --flag")
        let client = try bus.client()
        #expect(try client.call(startService("org.example.Missing")).errorText ==
                ("org.freedesktop.DBus.Error.Spawn.ExecFailed", "Failed to execute program org.example.Missing: No such file or directory"))
        #expect(try client.call(driverCall("GetId")).type == .methodReturn)
    }

    @Test("a service that never takes its name: TimedOut after service_start_timeout, and the process is killed")
    func timedOut() throws {
        let bus = try ActivationBus(limits: ["service_start_timeout": 300])
        defer { bus.stop() }
        try bus.addService("org.example.Silent", exec: "/bin/sleep 30")
        let client = try bus.client()
        let started = Date()
        #expect(try client.call(startService("org.example.Silent")).errorText ==
                ("org.freedesktop.DBus.Error.TimedOut",
                 "Failed to activate service 'org.example.Silent': timed out (service_start_timeout=300ms)"))
        #expect(Date().timeIntervalSince(started) >= 0.29)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && Self.sleepChildren(of: bus) > 0 { usleep(10_000) }
        #expect(Self.sleepChildren(of: bus) == 0)
    }

    @Test("max_pending_service_starts: a start beyond it gets LimitsExceeded while the first waits")
    func pendingLimit() throws {
        let bus = try ActivationBus(limits: ["max_pending_service_starts": 1, "service_start_timeout": 2000])
        defer { bus.stop() }
        try bus.addService("org.example.Slow", exec: "/bin/sleep 3")
        try bus.addService("org.example.Other", exec: "/bin/sleep 3")
        let first = try bus.client()
        try first.send(startService("org.example.Slow"))
        let second = try bus.client()
        #expect(try second.call(startService("org.example.Other")).errorText ==
                ("org.freedesktop.DBus.Error.LimitsExceeded",
                 "The maximum number of pending activations has been reached, activation of org.example.Other failed"))
    }

    @Test("the service inherits no broker descriptor, no blocked signal and not the broker's ignored SIGPIPE")
    func cleanChild() throws {
        let bus = try ActivationBus(limits: ["service_start_timeout": 300])
        defer { bus.stop() }
        let fds = bus.services.appendingPathComponent("fds.txt")
        let signals = bus.services.appendingPathComponent("signals.txt")
        try bus.addService("org.example.Probe", exec: """
            /bin/sh -c "ls -l /proc/self/fd > \(fds.path); exec /bin/grep -E '^Sig(Blk|Ign):' /proc/self/status > \(signals.path)"
            """)
        let client = try bus.client()
        #expect(try client.call(startService("org.example.Probe")).errorName == "org.freedesktop.DBus.Error.TimedOut")
        let listing = try String(contentsOf: fds, encoding: .utf8)
        #expect(!listing.contains("socket:"), "\(listing)")
        #expect(!listing.contains("anon_inode:"), "\(listing)")
        let status = try String(contentsOf: signals, encoding: .utf8).split(separator: "\n")
        #expect(status.first == "SigBlk:\t0000000000000000")
        let ignored = status.last.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) } ?? .max
        #expect(ignored & (1 << (UInt64(SIGPIPE) - 1)) == 0)
    }

    @Test("the service's environment: UpdateActivationEnvironment's variables and the starter address and type")
    func environment() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        let record = bus.services.appendingPathComponent("environment.txt")
        try bus.addService("org.example.Env", exec: "/bin/sh -c \"env > \(record.path); exec \(ActivationBus.echoExec("org.example.Env"))\"")
        let client = try bus.client()
        let update = driverCall("UpdateActivationEnvironment", [.dictionary(key: .string, value: .string, [
            DBusDictEntry(key: .string("SWIFTBUS_ACTIVATION_TEST"), value: .string("yes, with spaces")),
        ])])
        #expect(try client.call(update).type == .methodReturn)
        #expect(try client.call(startService("org.example.Env")).body == [.uint32(1)])
        let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains("SWIFTBUS_ACTIVATION_TEST=yes, with spaces"))
        #expect(lines.contains("DBUS_STARTER_ADDRESS=\(bus.broker.address)"))
        #expect(lines.contains("DBUS_STARTER_BUS_TYPE=session"))
        #expect(lines.contains("DBUS_SESSION_BUS_ADDRESS=\(bus.broker.address)"))
    }

    @Test("a service file added after start is found by the next lookup, a removed one is gone, without a reload")
    func rescan() throws {
        let bus = try ActivationBus()
        defer { bus.stop() }
        let client = try bus.client()
        try bus.addService("org.example.Late", exec: ActivationBus.echoExec("org.example.Late"))
        #expect(try client.call(callService("org.example.Late")).type == .methodReturn)
        try FileManager.default.removeItem(at: bus.services.appendingPathComponent("org.example.Late.service"))
        #expect(try client.call(startService("org.example.Late")).errorName == "org.freedesktop.DBus.Error.ServiceUnknown")
        #expect(try client.call(driverCall("ReloadConfig")).type == .methodReturn)
    }

    private static func sleepChildren(of bus: ActivationBus) -> Int {
        let brokerPID = bus.broker.process.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return stat.contains("(sleep)") && stat.split(separator: " ").dropFirst(3).first == Substring(String(brokerPID))
        }.count
    }
}
