// Activation Delivery Tests: what happens to messages held while a name starts. The
// service here is a test client that takes the name itself while the spawned process
// (a sleep) never does, so every delivered byte can be inspected.
import DBusWire
import Foundation
import Glibc
import Testing

@Suite("swiftbusd activation: held messages", .serialized)
struct ActivationDeliveryTests {
    private static let name = "org.example.Manual"

    /// A bus where `name` is activatable by a process that never takes it.
    private func manualBus(limits: [String: Int] = [:]) throws -> ActivationBus {
        let bus = try ActivationBus(limits: limits)
        try bus.addService(Self.name, exec: "/bin/sleep 3")
        return bus
    }

    private func takeName(_ client: TestClient) throws {
        let reply = try client.call(driverCall("RequestName", [.string(Self.name), .uint32(0)]))
        #expect(reply.body == [.uint32(1)])
    }

    @Test("held calls reach the new owner in order, with their fds and sender; its replies go back")
    func deliveredInOrderWithFDs() throws {
        let bus = try manualBus()
        defer { bus.stop() }
        let caller = try bus.client()
        var pipeEnds: [CInt] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        let first = try caller.send(.methodCall(path: "/", interface: "org.example.M", member: "First", destination: Self.name))
        try caller.send(.methodCall(path: "/", interface: "org.example.M", member: "WithFd", destination: Self.name,
                                    body: [.unixFD(0)], flags: .noReplyExpected), fds: [pipeEnds[1]])
        let third = try caller.send(.methodCall(path: "/", interface: "org.example.M", member: "Third", destination: Self.name,
                                                body: [.string("three")]))
        let service = try bus.client()
        try takeName(service)
        let isCall = { (message: Message) in message.type == .methodCall }
        let delivered = [try service.receive(where: isCall), try service.receive(where: isCall), try service.receive(where: isCall)]
        #expect(delivered.map(\.member) == ["First", "WithFd", "Third"])
        #expect(delivered.allSatisfy { $0.sender == caller.uniqueName })
        #expect(delivered[2].body == [.string("three")])
        #expect(delivered[1].unixFDCount == 1)
        let fd = try #require(service.receivedDescriptors.last)
        #expect(write(fd, "h", 1) == 1)
        var byte: UInt8 = 0
        #expect(read(pipeEnds[0], &byte, 1) == 1 && byte == UInt8(ascii: "h"))
        close(fd)
        try service.send(.methodReturn(replyTo: delivered[2], body: [.string("back")]))
        let reply = try caller.receive { $0.replySerial == third }
        #expect(reply.body == [.string("back")])
        try service.send(.methodReturn(replyTo: delivered[0]))
        #expect(try caller.receive { $0.replySerial == first }.type == .methodReturn)
    }

    @Test("StartServiceByName callers waiting with held calls all get SUCCESS when the name is taken by hand")
    func startersAndHeld() throws {
        let bus = try manualBus()
        defer { bus.stop() }
        let starter = try bus.client()
        let serial = try starter.send(startService(Self.name))
        let other = try bus.client()
        let otherSerial = try other.send(startService(Self.name))
        let service = try bus.client()
        try takeName(service)
        #expect(try starter.receive { $0.replySerial == serial }.body == [.uint32(1)])
        #expect(try other.receive { $0.replySerial == otherSerial }.body == [.uint32(1)])
    }

    @Test("a held message whose sender left is dropped; the others still arrive")
    func senderLeft() throws {
        let bus = try manualBus()
        defer { bus.stop() }
        let leaver = try bus.client()
        try leaver.send(.methodCall(path: "/", interface: "org.example.M", member: "FromLeaver", destination: Self.name,
                                    flags: .noReplyExpected))
        let stayer = try bus.client()
        try stayer.send(.methodCall(path: "/", interface: "org.example.M", member: "FromStayer", destination: Self.name,
                                    flags: .noReplyExpected))
        // Leaving is processed before the name is taken: the ping proves the bus has seen it.
        _ = shutdown(leaver.socket.descriptor.rawValue, CInt(SHUT_RDWR))
        #expect(try stayer.call(driverCall("GetId")).type == .methodReturn)
        let service = try bus.client()
        try takeName(service)
        #expect(try service.receive { $0.type == .methodCall }.member == "FromStayer")
    }

    @Test("held bytes for one name are bounded by max_outgoing_bytes: beyond it the sender gets LimitsExceeded")
    func heldBytesBounded() throws {
        let bus = try manualBus(limits: ["max_outgoing_bytes": 96 * 1024])
        defer { bus.stop() }
        let caller = try bus.client()
        let payload = DBusValue.bytes([UInt8](repeating: 1, count: 40 * 1024))
        let call = Message.methodCall(path: "/", interface: "org.example.M", member: "Big", destination: Self.name, body: [payload])
        let accepted = [try caller.send(call), try caller.send(call)]
        let refused = try caller.call(call)
        #expect(refused.errorName == "org.freedesktop.DBus.Error.LimitsExceeded")
        let service = try bus.client()
        try takeName(service)
        let delivered = [try service.receive { $0.type == .methodCall }, try service.receive { $0.type == .methodCall }]
        #expect(delivered.map(\.serial) == accepted)
    }
}

@Suite("swiftbusd activation: policy", .serialized)
struct ActivationPolicyTests {
    @Test("a message the sender may not send to the name does not start its service: AccessDenied, nothing spawned")
    func deniedSendStartsNothing() throws {
        let bus = try ActivationBus(extraConfig: """
            <policy context="default"><deny send_destination="org.example.Denied"/></policy>
            """)
        defer { bus.stop() }
        let marker = bus.services.appendingPathComponent("started")
        try bus.addService("org.example.Denied", exec: "/bin/sh -c \"touch \(marker.path); exec \(ActivationBus.echoExec("org.example.Denied"))\"")
        let caller = try bus.client()
        let reply = try caller.call(callService("org.example.Denied"))
        #expect(reply.errorName == "org.freedesktop.DBus.Error.AccessDenied")
        let text = reply.errorText.1 ?? ""
        #expect(text.hasPrefix("Rejected send message, 2 matched rules; type=\"method_call\", sender=\"\(caller.uniqueName)\""))
        #expect(text.hasSuffix("destination=\"org.example.Denied\" (bus)"))
        #expect(try caller.call(driverCall("NameHasOwner", [.string("org.example.Denied")])).body == [.boolean(false)])
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }
}
