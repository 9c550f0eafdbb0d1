// Interop Tests: busctl, gdbus and python clients call our objects, and we call theirs.
import Foundation
import SwiftBus
import Testing

/// The python service's interface, declared on our side.
enum PythonInterface: DBusInterface {
    static let name = "org.swiftbus.Python"
    static let reverse = method("Reverse", String.self, returns: String.self)
    static let sum = method("Sum", [Int32].self, returns: Int64.self)
    static let describe = method("Describe", [String: Variant].self, returns: String.self)
    static let ping = method("Ping", String.self, returns: Void.self)
    static let quit = method("Quit", Void.self, returns: Void.self)
    static let pong = signal("Pong", String.self)
}

@Suite("Interop with busctl, gdbus and python", .timeLimit(.minutes(1)))
struct InteropTests {
    static let python = "/usr/bin/python3"
    static let serviceScript = BusProcesses.packageRoot + "/Tests/SwiftBusTests/Interop/python_service.py"

    /// A served pair whose server also owns a fresh well-known name, for tools that want one.
    private func servedWithName(on bus: TestBus) async throws -> (ServedPair, String) {
        let pair = try await ServedPair(on: bus)
        let name = "org.swiftbus.Interop.N\(UInt32.random(in: 0...UInt32.max))"
        #expect(try await pair.server.requestName(name, flags: .doNotQueue) == .primaryOwner)
        return (pair, name)
    }

    @Test("busctl calls our object, reads our property and introspects it", arguments: TestBus.available)
    func busctlCallsUs(bus: TestBus) async throws {
        let (pair, name) = try await servedWithName(on: bus)
        let address = try bus.address()
        let path = ServedPair.path.rawValue
        let add = try await runProcess(["/usr/bin/busctl", "--address=\(address)", "call", name, path, TestInterface.name, "Add", "ii", "40", "2"])
        #expect(add.status == 0, "\(add.standardError)")
        #expect(add.standardOutput == "i 42\n")
        let mirror = try await runProcess(["/usr/bin/busctl", "--address=\(address)", "call", name, path, TestInterface.name, "Mirror",
                                           "(iis)", "1", "2", "p"])
        #expect(mirror.standardOutput == "(iis) 2 1 \"p!\"\n", "\(mirror.standardError)")
        let label = try await runProcess(["/usr/bin/busctl", "--address=\(address)", "get-property", name, path, TestInterface.name, "Label"])
        #expect(label.standardOutput == "s \"swiftbus\"\n", "\(label.standardError)")
        let set = try await runProcess(["/usr/bin/busctl", "--address=\(address)", "set-property", name, path, TestInterface.name,
                                        "Counter", "i", "9"])
        #expect(set.status == 0, "\(set.standardError)")
        #expect(pair.state.counter.load(ordering: .relaxed) == 9)
        let introspection = try await runProcess(["/usr/bin/busctl", "--address=\(address)", "introspect", name, path])
        #expect(introspection.standardOutput.contains(".Add"))
        #expect(introspection.standardOutput.contains("method    ii"))
        let failure = try await runProcess(["/usr/bin/busctl", "--address=\(address)", "call", name, path, TestInterface.name, "Divide",
                                            "xx", "1", "0"])
        #expect(failure.status != 0)
        #expect(failure.standardError.contains("cannot divide 1 by zero"))
    }

    @Test("gdbus calls our object and parses our introspection", arguments: TestBus.available)
    func gdbusCallsUs(bus: TestBus) async throws {
        let (pair, name) = try await servedWithName(on: bus)
        defer { withExtendedLifetime(pair) {} }
        let address = try bus.address()
        let path = ServedPair.path.rawValue
        let add = try await runProcess(["/usr/bin/gdbus", "call", "--address", address, "--dest", name, "--object-path", path,
                                        "--method", TestInterface.name + ".Add", "20", "22"])
        #expect(add.standardOutput == "(42,)\n", "\(add.standardError)")
        let echo = try await runProcess(["/usr/bin/gdbus", "call", "--address", address, "--dest", name, "--object-path", path,
                                         "--method", TestInterface.name + ".Echo", "<@a{sv} {'k': <uint32 7>}>"])
        #expect(echo.standardOutput == "(<{'k': <uint32 7>}>,)\n", "\(echo.standardError)")
        let introspection = try await runProcess(["/usr/bin/gdbus", "introspect", "--address", address, "--dest", name,
                                                  "--object-path", path])
        #expect(introspection.status == 0, "\(introspection.standardError)")
        #expect(introspection.standardOutput.contains("Add(in  i a,"))
        #expect(introspection.standardOutput.contains("readwrite i Counter"))
    }

    @Test("a python (dbus-python) client calls us and receives our signal", arguments: TestBus.available)
    func pythonCallsUs(bus: TestBus) async throws {
        let (pair, name) = try await servedWithName(on: bus)
        defer { withExtendedLifetime(pair) {} }
        let script = """
            import dbus, dbus.mainloop.glib, sys
            from gi.repository import GLib
            dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
            bus = dbus.bus.BusConnection(sys.argv[1])
            obj = bus.get_object(sys.argv[2], "\(ServedPair.path.rawValue)")
            iface = dbus.Interface(obj, "\(TestInterface.name)")
            print(iface.Add(40, 2))
            print(iface.Mirror(dbus.Struct((1, 2, "py"), signature="iis")))
            print(obj.Get("\(TestInterface.name)", "Label", dbus_interface="org.freedesktop.DBus.Properties"))
            loop = GLib.MainLoop()
            def ticked(label, count):
                print("ticked", label, count)
                loop.quit()
            iface.connect_to_signal("Ticked", ticked)
            iface.Emit("from python")
            GLib.timeout_add_seconds(5, loop.quit)
            loop.run()
            """
        let result = try await runProcess([Self.python, "-c", script, try bus.address(), name])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "42\ndbus.Struct((dbus.Int32(2), dbus.Int32(1), dbus.String('py!')), signature=None)\nswiftbus\nticked from python 11\n")
    }

    @Test("a python (dbus-python) client sends us 20 MiB, more than our receive pool, and gets it back", arguments: TestBus.available)
    func pythonSendsMoreThanOurPool(bus: TestBus) async throws {
        let (pair, name) = try await servedWithName(on: bus)
        defer { withExtendedLifetime(pair) {} }
        let script = """
            import dbus, sys
            bus = dbus.bus.BusConnection(sys.argv[1])
            iface = dbus.Interface(bus.get_object(sys.argv[2], "\(ServedPair.path.rawValue)"), "\(TestInterface.name)")
            data = bytes(range(256)) * (20 * 1024 * 1024 // 256)
            count, back = iface.Bytes(dbus.ByteArray(data), byte_arrays=True, timeout=60)
            print(int(count), bytes(back) == data[::-1])
            """
        let result = try await runProcess([Self.python, "-c", script, try bus.address(), name])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "20971520 True\n")
        if bus == .swiftbusd { #expect(pair.server.transport == .kdbus, "the 8 MiB pool is what this exercises") }
    }

    @Test("we call a python service, pass it typed values and receive its signal", arguments: TestBus.available)
    func weCallPython(bus: TestBus) async throws {
        let address = try bus.address()
        let connection = try await Connection.connect(to: address)
        let name = "org.swiftbus.Python.N\(UInt32.random(in: 0...UInt32.max))"
        let service = Task { try await runProcess([Self.python, Self.serviceScript, address, name]) }
        // Starting python3 with dbus-python takes seconds when the whole suite loads the machine.
        #expect(try await eventually(within: .seconds(30)) { try await connection.bus.nameHasOwner(name) })
        let proxy = Proxy<PythonInterface>(connection: connection, destination: name, path: "/org/swiftbus/Python")
        #expect(try await proxy.call(PythonInterface.reverse, "SwiftBus") == "suBtfiwS")
        #expect(try await proxy.call(PythonInterface.sum, [1, 2, 3, Int32.max]) == 6 + Int64(Int32.max))
        let values: [String: Variant] = ["a": try Variant(UInt8(1)), "b": try Variant(["x", "y"]), "c": try Variant(2.5)]
        let described = try await proxy.call(PythonInterface.describe, values)
        #expect(described == "a=Byte(1),b=[String(x),String(y)],c=Double(2.5)")
        let pongs = try await connection.messages(matching: PythonInterface.pong.matchRule(path: "/org/swiftbus/Python"))
        try await proxy.call(PythonInterface.ping, "hi")
        let pong = try #require(await firstElement(of: pongs))
        #expect(try pong.arguments(as: String.self) == "hi!")
        try await proxy.call(PythonInterface.quit)
        let finished = try await service.value
        #expect(finished.status == 0, "\(finished.standardError)")
    }

    @Test("we call dbus-test-tool's echo service and hear busctl's signal", arguments: TestBus.available)
    func weCallReferenceTools(bus: TestBus) async throws {
        let address = try bus.address()
        let connection = try await Connection.connect(to: address)
        let name = "org.swiftbus.Echo.N\(UInt32.random(in: 0...UInt32.max))"
        let echo = Task {
            try await runProcess(["/usr/bin/dbus-test-tool", "echo", "--name=\(name)", "--sleep-ms=0"],
                                 environment: ["DBUS_SESSION_BUS_ADDRESS": address])
        }
        #expect(try await eventually { try await connection.bus.nameHasOwner(name) })
        try await connection.call(destination: name, path: "/", interface: "org.example.Any", member: "Anything", "ignored",
                                  returning: Void.self)
        let owner = try await connection.bus.getNameOwner(name)
        let pid = try await connection.bus.getConnectionUnixProcessID(owner)
        // SIGKILL: the tool inherits the test runner's blocked signals, so it would not see SIGTERM.
        kill(pid_t(pid), SIGKILL)
        _ = try? await echo.value

        let signals = try await connection.messages(matching: MatchRule(type: .signal, interface: "org.swiftbus.Busctl"))
        let emitted = try await runProcess(["/usr/bin/busctl", "--address=\(address)", "emit", "/from/busctl", "org.swiftbus.Busctl",
                                            "Said", "sau", "hello", "2", "1", "2"])
        #expect(emitted.status == 0, "\(emitted.standardError)")
        let said = await firstElement(of: signals)
        let (text, numbers) = try #require(try said?.arguments(as: (String, [UInt32]).self))
        #expect(text == "hello" && numbers == [1, 2])
        #expect(said?.message.path == "/from/busctl")
    }
}
