/// Property Cache
import DBusWire
import Synchronization

/// The properties of one remote object's interface, read once with `GetAll` and kept
/// current by its `PropertiesChanged` signals (invalidated properties are dropped, as the
/// signal says their new value was not sent). `changes` yields the names that changed.
public final class PropertyCache: Sendable {
    public let interface: String
    private let values: Mutex<[String: Variant]>
    private let watcher: Mutex<Task<Void, Never>?>
    /// The names of properties as each `PropertiesChanged` updates them.
    public let changes: AsyncStream<[String]>

    init(connection: Connection, destination: String, path: ObjectPath, interface: String) async throws {
        self.interface = interface
        values = Mutex([:])
        watcher = Mutex(nil)
        let (changes, continuation) = AsyncStream<[String]>.makeStream()
        self.changes = changes
        let rule = MatchRule(type: .signal, sender: destination, interface: PropertiesInterface.name,
                             member: "PropertiesChanged", path: path.rawValue, arguments: [0: interface])
        // Subscribe before GetAll, so a change between the two is not lost.
        let stream = try await SignalStream(connection: connection, rule: rule) { message in
            try message.arguments(as: (String, [String: Variant], [String]).self)
        }
        let initial = try await connection.call(
            destination: destination, path: path, interface: PropertiesInterface.name, member: "GetAll",
            interface, returning: [String: Variant].self)
        values.withLock { $0.merge(initial) { _, new in new } }
        let task = Task { [weak self] in
            for await (_, changed, invalidated) in stream {
                guard let self else { break }
                self.values.withLock { values in
                    for (name, value) in changed { values[name] = value }
                    for name in invalidated { values.removeValue(forKey: name) }
                }
                continuation.yield(Array(changed.keys) + invalidated)
            }
            continuation.finish()
        }
        watcher.withLock { $0 = task }
    }

    deinit { watcher.withLock { $0?.cancel() } }

    /// The cached value of a declared property; nil when not cached or of another type.
    public func get<Value: DBusRepresentable>(_ property: PropertyDeclaration<Value>) -> Value? {
        values.withLock { $0[property.name] }.flatMap { try? $0.get(Value.self) }
    }

    /// Every cached value.
    public var all: [String: Variant] { values.withLock { $0 } }
}
