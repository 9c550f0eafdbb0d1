// Bus Signal Tests: signal streams, their match rules, properties and the property cache.
import SwiftBus
import Testing

@Suite("Signals and properties on a real bus")
struct BusSignalTests {
    @Test("a declared signal arrives typed through a proxy's stream", arguments: TestBus.available)
    func typedSignal(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let ticks = try await pair.proxy.signals(TestInterface.ticked)
        try await pair.proxy.call(TestInterface.emit, "hello")
        let first = await firstElement(of: ticks)
        #expect(first?.0 == "hello")
        #expect(first?.1 == 5)
    }

    @Test("the stream's match rule is on the bus while it lives and removed when it ends", arguments: TestBus.available)
    func matchRuleLifetime(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let rule = TestInterface.ticked.matchRule(sender: pair.server.uniqueName, path: ServedPair.path)
        do {
            let ticks = try await pair.proxy.signals(TestInterface.ticked)
            // RemoveMatch succeeds only for a rule the bus holds; put it back for the stream.
            try await pair.client.bus.removeMatch(rule)
            try await pair.client.bus.addMatch(rule)
            try await pair.proxy.call(TestInterface.emit, "once")
            var iterator = ticks.makeAsyncIterator()
            #expect(await iterator.next()?.0 == "once")
        }
        // The stream and its iterator are gone: the RemoveMatch went out before this call.
        let error = await #expect(throws: DBusError.self) { try await pair.client.bus.removeMatch(rule) }
        #expect(error?.name == DBusError.matchRuleNotFound)
    }

    @Test("signals from other senders or paths do not reach a proxy's stream", arguments: TestBus.available)
    func signalFiltering(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let ticks = try await pair.proxy.signals(TestInterface.ticked)
        try pair.client.emit(TestInterface.ticked, from: ServedPair.path, "from the client itself", 0)
        try pair.server.emit(TestInterface.ticked, from: "/elsewhere", "other path", 0)
        try await pair.proxy.call(TestInterface.emit, "right")
        #expect(await firstElement(of: ticks)?.0 == "right")
    }

    @Test("properties: Get, Set, GetAll, read-only refusal, change signal", arguments: TestBus.available)
    func properties(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        #expect(try await pair.proxy.get(TestInterface.label) == "swiftbus")
        #expect(try await pair.proxy.get(TestInterface.counter) == 0)
        let changes = try await pair.client.messages(
            matching: PropertiesInterface.propertiesChanged.matchRule(sender: pair.server.uniqueName, path: ServedPair.path))
        try await pair.proxy.set(TestInterface.counter, to: 7)
        #expect(pair.state.counter.load(ordering: .relaxed) == 7)
        let change = await firstElement(of: changes)
        let (interface, changed, _) = try #require(try change?.arguments(as: (String, [String: Variant], [String]).self))
        #expect(interface == TestInterface.name)
        #expect(try changed["Counter"]?.get(Int32.self) == 7)
        let all = try await pair.proxy.getAll()
        #expect(try all["Counter"]?.get(Int32.self) == 7)
        #expect(try all["Label"]?.get(String.self) == "swiftbus")
        let readOnly = await #expect(throws: DBusError.self) { try await pair.proxy.set(TestInterface.label, to: "x") }
        #expect(readOnly?.name == DBusError.propertyReadOnly)
        let wrongType = await #expect(throws: DBusError.self) {
            try await pair.client.call(destination: pair.server.uniqueName, path: ServedPair.path, interface: PropertiesInterface.name,
                                       member: "Set", TestInterface.name, "Counter", try Variant("seven"), returning: Void.self)
        }
        #expect(wrongType?.name == DBusError.invalidArgs)
    }

    @Test("the property cache follows PropertiesChanged", arguments: TestBus.available)
    func propertyCache(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        pair.state.counter.store(3, ordering: .relaxed)
        let cache = try await pair.proxy.propertyCache()
        #expect(cache.get(TestInterface.counter) == 3)
        #expect(cache.get(TestInterface.label) == "swiftbus")
        pair.state.counter.store(11, ordering: .relaxed)
        try pair.server.propertyChanged(TestInterface.counter, to: 11, at: ServedPair.path)
        #expect(await firstElement(of: cache.changes) == ["Counter"])
        #expect(cache.get(TestInterface.counter) == 11)
        try pair.server.propertyInvalidated(TestInterface.label, at: ServedPair.path)
        #expect(await firstElement(of: cache.changes) == ["Label"])
        #expect(cache.get(TestInterface.label) == nil)
    }
}

@Suite("Signals from well-known names")
struct WellKnownSenderTests {
    @Test("a proxy on a well-known name follows its owner", arguments: TestBus.available)
    func followsOwner(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let name = "org.swiftbus.Test.Owner\(UInt32.random(in: 0...UInt32.max))"
        #expect(try await pair.server.requestName(name, flags: .allowReplacement) == .primaryOwner)
        let proxy = Proxy<TestInterface>(connection: pair.client, destination: name, path: ServedPair.path)
        let ticks = try await proxy.signals(TestInterface.ticked)
        var iterator = ticks.makeAsyncIterator()
        try await proxy.call(TestInterface.emit, "first owner")
        #expect(await iterator.next()?.0 == "first owner")

        let successor = try await Connection.connect(to: bus.address())
        successor.export(testImplementation(TestState(), path: ServedPair.path), at: ServedPair.path)
        #expect(try await successor.requestName(name, flags: .replaceExisting) == .primaryOwner)
        // The bus no longer routes the old owner's signal to this rule; the new owner's must pass
        // the local filter, which only knows the new owner from NameOwnerChanged.
        try pair.server.emit(TestInterface.ticked, from: ServedPair.path, "old owner", 0)
        try await proxy.call(TestInterface.emit, "second owner")
        #expect(await iterator.next()?.0 == "second owner")
    }
}
