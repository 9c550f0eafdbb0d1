// Served Pair: a connection serving TestInterface and a client holding a proxy to it.
import SwiftBus

/// Two connections to one bus: `server` exports the test object at `path`, `client` calls it.
struct ServedPair {
    static let path: ObjectPath = "/org/swiftbus/Test"
    let server: Connection
    let client: Connection
    let state: TestState
    let proxy: Proxy<TestInterface>

    init(on bus: TestBus, server serverOptions: ConnectionOptions = .default, client clientOptions: ConnectionOptions = .default) async throws {
        let address = try bus.address()
        server = try await Connection.connect(to: address, options: serverOptions)
        client = try await Connection.connect(to: address, options: clientOptions)
        state = TestState()
        server.export(testImplementation(state, path: Self.path), at: Self.path)
        proxy = Proxy(connection: client, destination: server.uniqueName, path: Self.path)
    }
}

/// Waits up to `limit` for `condition`, checking every 10 ms; for effects that arrive
/// asynchronously (a cache update) and have no event to await.
func eventually(within limit: Duration = .seconds(5), _ condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: limit)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// The first element of a stream, or nil when it ends or `limit` passes first.
func firstElement<S: AsyncSequence & Sendable>(of stream: S, within limit: Duration = .seconds(5)) async -> S.Element?
where S.Element: Sendable {
    await withTaskGroup(of: S.Element?.self) { group in
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            return try? await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
