// Bus Serving Tests: introspection, Peer, ObjectManager and well-known names.
import SwiftBus
import Testing

@Suite("Serving objects on a real bus")
struct BusServingTests {
    @Test("Introspect describes the declared interface, the standard ones and the children", arguments: TestBus.available)
    func introspection(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let xml = try await pair.proxy.introspect()
        #expect(xml.contains("<interface name=\"org.swiftbus.Test\">"))
        #expect(xml.contains("<method name=\"Add\">"))
        #expect(xml.contains("<arg name=\"a\" type=\"i\" direction=\"in\"/>"))
        #expect(xml.contains("<arg name=\"sum\" type=\"i\" direction=\"out\"/>"))
        #expect(xml.contains("<method name=\"Mirror\">") && xml.contains("type=\"(iis)\""))
        #expect(xml.contains("<property name=\"Counter\" type=\"i\" access=\"readwrite\"/>"))
        #expect(xml.contains("<signal name=\"Ticked\">"))
        #expect(xml.contains("<interface name=\"org.freedesktop.DBus.Properties\">"))
        #expect(xml.contains("<interface name=\"org.freedesktop.DBus.Peer\">"))
        let root = Proxy<TestInterface>(connection: pair.client, destination: pair.server.uniqueName, path: "/org/swiftbus")
        let parent = try await root.introspect()
        #expect(parent.contains("<node name=\"Test\"/>"))
        #expect(!parent.contains("<interface name=\"org.swiftbus.Test\">"))
    }

    @Test("Peer is answered on any path", arguments: TestBus.available)
    func peer(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        try await pair.client.call(destination: pair.server.uniqueName, path: "/any/path", interface: PeerInterface.name,
                                   member: "Ping", returning: Void.self)
        let machine = try await pair.client.call(
            destination: pair.server.uniqueName, path: "/", interface: PeerInterface.name, member: "GetMachineId", returning: String.self)
        #expect(machine.count == 32)
    }

    @Test("ObjectManager lists objects below it and announces new and removed ones", arguments: TestBus.available)
    func objectManager(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        pair.server.addObjectManager(at: "/org/swiftbus")
        let manager = Proxy<ObjectManagerInterface>(connection: pair.client, destination: pair.server.uniqueName, path: "/org/swiftbus")
        let objects = try await manager.call(ObjectManagerInterface.getManagedObjects)
        #expect(try objects[ServedPair.path]?[TestInterface.name]?["Label"]?.get(String.self) == "swiftbus")
        let added = try await manager.signals(ObjectManagerInterface.interfacesAdded)
        let removed = try await manager.signals(ObjectManagerInterface.interfacesRemoved)
        let second: ObjectPath = "/org/swiftbus/Second"
        pair.server.export(testImplementation(TestState(), path: second), at: second)
        let announcement = await firstElement(of: added)
        #expect(announcement?.0 == second)
        #expect(announcement?.1[TestInterface.name]?["Label"] != nil)
        #expect(pair.server.unexport(TestInterface.self, at: second))
        let removal = await firstElement(of: removed)
        #expect(removal?.0 == second && removal?.1 == [TestInterface.name])
    }

    @Test("well-known names: request with flags, events when acquired and lost", arguments: TestBus.available)
    func names(bus: TestBus) async throws {
        let address = try bus.address()
        let first = try await Connection.connect(to: address)
        let second = try await Connection.connect(to: address)
        let name = "org.swiftbus.Test.Names\(UInt32.random(in: 0...UInt32.max))"
        let firstEvents = try await first.nameEvents()
        #expect(try await first.requestName(name, flags: .allowReplacement) == .primaryOwner)
        #expect(await firstElement(of: firstEvents) == .acquired(name))
        #expect(try await second.requestName(name, flags: .doNotQueue) == .exists)
        #expect(try await second.requestName(name) == .inQueue)
        #expect(try await first.bus.listQueuedOwners(name) == [first.uniqueName, second.uniqueName])
        let secondEvents = try await second.nameEvents()
        #expect(try await second.requestName(name, flags: .replaceExisting) == .primaryOwner)
        #expect(await firstElement(of: firstEvents) == .lost(name))
        #expect(await firstElement(of: secondEvents) == .acquired(name))
        #expect(try await first.bus.getNameOwner(name) == second.uniqueName)
        #expect(try await second.releaseName(name) == .released)
        // The replaced owner did not ask for DO_NOT_QUEUE, so it waited in the queue.
        #expect(await firstElement(of: firstEvents) == .acquired(name))
        #expect(try await first.releaseName(name) == .released)
    }
}
