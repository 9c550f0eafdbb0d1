// Bus Call Tests: connecting, typed calls, errors, timeouts, cancellation and flags, on every bus.
import BusPlatform
import SwiftBus
import Glibc
import Testing

@Suite("Calls on a real bus")
struct BusCallTests {
    @Test("Hello gives a unique name; the driver proxy answers", arguments: TestBus.available)
    func helloAndDriver(bus: TestBus) async throws {
        let connection = try await Connection.connect(to: bus.address())
        #expect(connection.uniqueName.hasPrefix(":"))
        #expect(try await connection.bus.getNameOwner(BusDriver.busName) == BusDriver.busName)
        #expect(try await connection.bus.listNames().contains(connection.uniqueName))
        #expect(try await connection.bus.nameHasOwner(connection.uniqueName))
        #expect(try await connection.bus.getId().count == 32)
        let credentials = try await connection.bus.getConnectionCredentials(connection.uniqueName)
        #expect(try credentials["UnixUserID"]?.get(UInt32.self) == getuid())
        #expect(try await connection.bus.getConnectionUnixProcessID(connection.uniqueName) == UInt32(getpid()))
        #expect(connection.canPassFileDescriptors)
        let typed = try await connection.bus.credentials(of: connection.uniqueName)
        #expect(typed.userID == getuid() && typed.processID == UInt32(getpid()))
        #expect(typed.groupIDs?.contains(getgid()) == true)
    }

    @Test("alternatives in an address are tried in order", arguments: TestBus.available)
    func addressAlternatives(bus: TestBus) async throws {
        let address = "unix:path=/nonexistent/swiftbus/bus;" + (try bus.address())
        let connection = try await Connection.connect(to: address)
        #expect(connection.uniqueName.hasPrefix(":"))
        await #expect(throws: ConnectionError.self) { try await Connection.connect(to: "unix:path=/nonexistent/swiftbus/bus") }
    }

    @Test("typed calls through a proxy: scalars, tuples, variants, structs, bytes", arguments: TestBus.available)
    func typedCalls(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        #expect(try await pair.proxy.call(TestInterface.add, 40, 2) == 42)
        let (quotient, remainder) = try await pair.proxy.call(TestInterface.divide, 17, 5)
        #expect(quotient == 3 && remainder == 2)
        let nested = try Variant(["a": [Int32(1), 2], "b": []])
        #expect(try await pair.proxy.call(TestInterface.echo, nested).get([String: [Int32]].self) == ["a": [1, 2], "b": []])
        let mirrored = try await pair.proxy.call(TestInterface.point, Point(x: 1, y: 2, name: "p"))
        #expect(mirrored == Point(x: 2, y: 1, name: "p!"))
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
        let (count, reversed) = try await pair.proxy.call(TestInterface.bytes, payload)
        #expect(count == 100_000 && reversed == payload.reversed())
    }

    @Test("error replies surface as DBusError with name and message", arguments: TestBus.available)
    func errors(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let division = await #expect(throws: DBusError.self) { try await pair.proxy.call(TestInterface.divide, 1, 0) }
        #expect(division?.name == "org.swiftbus.Error.DivisionByZero")
        #expect(division?.message == "cannot divide 1 by zero")
        let custom = await #expect(throws: DBusError.self) {
            try await pair.proxy.call(TestInterface.fail, "org.example.Error.Custom", "as asked")
        }
        #expect(custom == DBusError(name: "org.example.Error.Custom", message: "as asked"))
        let unknown = await #expect(throws: DBusError.self) {
            try await pair.client.call(destination: pair.server.uniqueName, path: ServedPair.path, interface: TestInterface.name,
                                       member: "NoSuchMethod", returning: Void.self)
        }
        #expect(unknown?.name == DBusError.unknownMethod)
        let wrongArguments = await #expect(throws: DBusError.self) {
            try await pair.client.call(destination: pair.server.uniqueName, path: ServedPair.path, interface: TestInterface.name,
                                       member: "Add", "not a number", returning: Int32.self)
        }
        #expect(wrongArguments?.name == DBusError.invalidArgs)
        let noObject = await #expect(throws: DBusError.self) {
            try await pair.client.call(destination: pair.server.uniqueName, path: "/nothing/here", interface: TestInterface.name,
                                       member: "Add", Int32(1), Int32(2), returning: Int32.self)
        }
        #expect(noObject?.name == DBusError.unknownObject)
        let noService = await #expect(throws: DBusError.self) {
            try await pair.client.call(destination: "org.swiftbus.Nobody", path: "/", interface: nil, member: "Ping", returning: Void.self)
        }
        #expect(noService?.name == DBusError.serviceUnknown)
    }

    @Test("a reply of other types than declared is a typed error", arguments: TestBus.available)
    func unexpectedReply(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        await #expect(throws: ConnectionError.self) {
            try await pair.client.call(destination: pair.server.uniqueName, path: ServedPair.path, interface: TestInterface.name,
                                       member: "Add", Int32(1), Int32(2), returning: String.self)
        }
    }

    @Test("a call times out with .timedOut", arguments: TestBus.available)
    func timeout(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: ConnectionError.self) {
            // The callee sleeps far longer than the bound below, so meeting the bound proves the
            // timeout ended the wait; the margin absorbs stalls of a loaded 2-core CI machine.
            try await pair.proxy.call(TestInterface.sleep, 20_000, timeout: .milliseconds(200))
        }
        guard case .timedOut(_, let member, _)? = error else { Issue.record("expected .timedOut, got \(String(describing: error))"); return }
        #expect(member == "Sleep")
        #expect(clock.now - started < .seconds(10))
        #expect(try await pair.proxy.call(TestInterface.add, 1, 1) == 2)
    }

    @Test("cancelling the task ends the wait with .cancelled", arguments: TestBus.available)
    func cancellation(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let proxy = pair.proxy
        let clock = ContinuousClock()
        let started = clock.now
        let call = Task { try await proxy.call(TestInterface.sleep, 20_000) }
        try await Task.sleep(for: .milliseconds(100))
        call.cancel()
        let result = await call.result
        guard case .failure(ConnectionError.cancelled) = result else {
            Issue.record("expected .cancelled, got \(result)")
            return
        }
        #expect(clock.now - started < .seconds(10))
    }

    @Test("NO_REPLY_EXPECTED calls are delivered and get no reply; ALLOW_INTERACTIVE_AUTHORIZATION reaches the callee",
          arguments: TestBus.available)
    func flags(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        try pair.proxy.callWithoutReply(TestInterface.record, "first")
        try pair.proxy.callWithoutReply(TestInterface.record, "second")
        // Each call's handler runs in its own task, so the two may record in either order.
        #expect(try await eventually { try await pair.proxy.call(TestInterface.recorded).sorted() == ["first", "second"] })
        #expect(try await pair.proxy.call(TestInterface.interactive) == false)
        #expect(try await pair.proxy.call(TestInterface.interactive, flags: .allowInteractiveAuthorization) == true)
    }

    @Test("file descriptors travel both ways and are owned by the receiver", arguments: TestBus.available)
    func fileDescriptors(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let received = try await pair.proxy.call(TestInterface.openPipe, "from the server")
        guard let readEnd = received.take() else {
            Issue.record("the received fd was already taken")
            return
        }
        #expect(try readText(readEnd) == "from the server")

        let pipe = try BusPlatform.Pipe.make()
        let reader = pipe.readEnd
        let writer = UnixFD(pipe.writeEnd)
        try await pair.proxy.call(TestInterface.writeTo, writer, "from the client")
        #expect(try readText(reader) == "from the client")
        #expect(writer.rawValue != nil)
    }
}
