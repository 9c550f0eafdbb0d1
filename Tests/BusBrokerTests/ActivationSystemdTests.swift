// Activation Systemd Tests: with --systemd-activation, files with SystemdService= are
// handed to org.freedesktop.systemd1 (here a test client playing systemd).
import DBusWire
import Testing

@Suite("swiftbusd activation through systemd", .serialized)
struct ActivationSystemdTests {
    /// A client that owns org.freedesktop.systemd1.
    private func fakeSystemd(_ bus: ActivationBus) throws -> TestClient {
        let systemd = try bus.client()
        let reply = try systemd.call(driverCall("RequestName", [.string("org.freedesktop.systemd1"), .uint32(0)]))
        #expect(reply.body == [.uint32(1)])
        return systemd
    }

    private func activationRequest(_ systemd: TestClient) throws -> Message {
        try systemd.receive { $0.type == .signal && $0.member == "ActivationRequest" }
    }

    @Test("StartServiceByName sends ActivationRequest(unit) to systemd; SUCCESS when the service takes its name")
    func requestThenSuccess() throws {
        let bus = try ActivationBus(extraArguments: ["--systemd-activation"])
        defer { bus.stop() }
        try bus.addService("org.example.Unit", exec: "/bin/false", extra: "SystemdService=example-unit.service\n")
        let systemd = try fakeSystemd(bus)
        let caller = try bus.client()
        let serial = try caller.send(startService("org.example.Unit"))
        let request = try activationRequest(systemd)
        #expect(request.sender == "org.freedesktop.DBus")
        #expect(request.destination == "org.freedesktop.systemd1")
        #expect(request.path == "/org/freedesktop/DBus")
        #expect(request.interface == "org.freedesktop.systemd1.Activator")
        #expect(request.body == [.string("example-unit.service")])
        let service = try bus.client()
        #expect(try service.call(driverCall("RequestName", [.string("org.example.Unit"), .uint32(0)])).body == [.uint32(1)])
        let reply = try caller.receive { $0.replySerial == serial }
        #expect(reply.type == .methodReturn)
        #expect(reply.body == [.uint32(1)])
    }

    @Test("ActivationFailure from systemd fails the start with its error; from anyone else it is ignored")
    func failure() throws {
        let bus = try ActivationBus(extraArguments: ["--systemd-activation"])
        defer { bus.stop() }
        try bus.addService("org.example.Broken", exec: "/bin/false", extra: "SystemdService=broken.service\n")
        let systemd = try fakeSystemd(bus)
        let caller = try bus.client()
        let serial = try caller.send(startService("org.example.Broken"))
        _ = try activationRequest(systemd)
        let impostor = try bus.client()
        try impostor.send(Self.failure(unit: "broken.service", error: "org.example.Fake", text: "not from systemd"))
        try systemd.send(Self.failure(unit: "broken.service", error: "org.freedesktop.systemd1.NoSuchUnit",
                                      text: "Unit broken.service not found."))
        let reply = try caller.receive { $0.replySerial == serial }
        #expect(reply.errorText == ("org.freedesktop.systemd1.NoSuchUnit", "Unit broken.service not found."))
    }

    @Test("UpdateActivationEnvironment is forwarded to systemd as SetEnvironment([KEY=value]), no reply wanted")
    func environmentForwarded() throws {
        let bus = try ActivationBus(extraArguments: ["--systemd-activation"])
        defer { bus.stop() }
        let systemd = try fakeSystemd(bus)
        let caller = try bus.client()
        let update = driverCall("UpdateActivationEnvironment", [.dictionary(key: .string, value: .string, [
            DBusDictEntry(key: .string("SWIFTBUS_A"), value: .string("one two")),
        ])])
        #expect(try caller.call(update).type == .methodReturn)
        let forwarded = try systemd.receive { $0.member == "SetEnvironment" }
        #expect(forwarded.type == .methodCall)
        #expect(forwarded.flags.contains(.noReplyExpected))
        #expect(forwarded.sender == "org.freedesktop.DBus")
        #expect(forwarded.path == "/org/freedesktop/systemd1")
        #expect(forwarded.interface == "org.freedesktop.systemd1.Manager")
        #expect(forwarded.body == [.array(element: .string, [.string("SWIFTBUS_A=one two")])])
    }

    @Test("a file without SystemdService= is still spawned by the bus")
    func plainFileStillSpawned() throws {
        let bus = try ActivationBus(extraArguments: ["--systemd-activation"])
        defer { bus.stop() }
        try bus.addService("org.example.Plain", exec: ActivationBus.echoExec("org.example.Plain"))
        _ = try fakeSystemd(bus)
        let caller = try bus.client()
        #expect(try caller.call(startService("org.example.Plain")).body == [.uint32(1)])
    }

    private static func failure(unit: String, error: String, text: String) -> Message {
        var message = Message.signal(path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Activator",
                                     member: "ActivationFailure", destination: "org.freedesktop.DBus",
                                     body: [.string(unit), .string(error), .string(text)])
        message.flags = .noReplyExpected
        return message
    }
}
