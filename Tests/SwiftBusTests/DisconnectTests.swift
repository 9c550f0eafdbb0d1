// Disconnect Tests: what pending calls, signal streams and later calls see when a connection ends.
import SwiftBus
import Testing

@Suite("Disconnect behaviour")
struct DisconnectTests {
    @Test("close(): pending calls fail with .disconnected, streams finish, later calls throw at once",
          arguments: TestBus.available)
    func closeByClient(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        let ticks = try await pair.proxy.signals(TestInterface.ticked)
        let proxy = pair.proxy
        let pending = Task { try await proxy.call(TestInterface.sleep, 10_000) }
        try await Task.sleep(for: .milliseconds(50))
        pair.client.close()
        try expectDisconnected(await pending.result)
        var iterator = ticks.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        #expect(!pair.client.isConnected)
        #expect(pair.client.disconnectReason == "the connection was closed by this client")
        let clock = ContinuousClock()
        let started = clock.now
        try expectDisconnected(await outcome { try await pair.proxy.call(TestInterface.add, 1, 2) })
        #expect(clock.now - started < .milliseconds(100))
        #expect(throws: ConnectionError.self) { try pair.client.emit(TestInterface.ticked, from: "/", "late", 0) }
        try expectDisconnected(await outcome { try await pair.client.nameEvents() })
        try expectDisconnected(await outcome { try await Proxy<TestInterface>(connection: pair.client, destination: pair.server.uniqueName, path: ServedPair.path).signals(TestInterface.ticked) })
    }

    @Test("the bus going away: pending calls fail with .disconnected and streams finish", arguments: TestBus.available)
    func busGoesAway(bus: TestBus) async throws {
        let running = try bus.startPrivate()
        let connection: Connection
        do { connection = try await Connection.connect(to: running.address) } catch {
            running.stop()
            throw error
        }
        let stream = try await connection.messages(matching: MatchRule(type: .signal, interface: "org.swiftbus.Never"))
        // A call to ourselves whose handler takes longer than the test: still pending when the bus dies.
        connection.export(testImplementation(TestState(), path: ServedPair.path), at: ServedPair.path)
        let proxy = Proxy<TestInterface>(connection: connection, destination: connection.uniqueName, path: ServedPair.path)
        let pending = Task { try await proxy.call(TestInterface.sleep, 10_000) }
        try await Task.sleep(for: .milliseconds(50))
        running.stop()
        try expectDisconnected(await pending.result)
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        await connection.waitUntilDisconnected()
        #expect(!connection.isConnected)
        #expect(connection.disconnectReason == "the bus closed the connection")
    }

    @Test("dropping the last reference closes the connection", arguments: TestBus.available)
    func releaseCloses(bus: TestBus) async throws {
        let observer = try await Connection.connect(to: bus.address())
        let name = try await { () async throws -> String in
            let pair = try await ServedPair(on: bus)
            #expect(try await pair.proxy.call(TestInterface.add, 1, 1) == 2)
            return pair.server.uniqueName
        }()
        let gone = try await eventually { try await !observer.bus.nameHasOwner(name) }
        #expect(gone, "\(name) is still on the bus after its last reference went")
    }

    private func expectDisconnected<T>(_ result: Result<T, any Error>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard case .failure(ConnectionError.disconnected) = result else {
            Issue.record("expected .disconnected, got \(result)", sourceLocation: sourceLocation)
            return
        }
    }
}

/// The outcome of an async throwing call, as a value.
func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

@Suite("Authentication")
struct AuthenticationTests {
    @Test("a bus that refuses EXTERNAL fails the connect with .authenticationFailed naming its mechanisms")
    func refusedMechanism() async throws {
        let running = try BusProcesses.startDaemon(configuration: { socket in
            """
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(socket)</listen>
              <auth>DBUS_COOKIE_SHA1</auth>
              <policy context="default"><allow send_destination="*"/><allow own="*"/></policy>
            </busconfig>
            """
        })
        defer { running.stop() }
        let error = await #expect(throws: ConnectionError.self) { try await Connection.connect(to: running.address) }
        guard case .authenticationFailed(let reason)? = error else {
            Issue.record("expected .authenticationFailed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("DBUS_COOKIE_SHA1"), "\(reason)")
    }
}
