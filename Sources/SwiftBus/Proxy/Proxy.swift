/// Proxy
import DBusWire

/// A typed handle on one object's interface on the bus: calls its declared methods, reads
/// and writes its declared properties and listens to its declared signals.
///
/// ```swift
/// let calculator = Proxy<Calculator>(connection: connection, destination: "org.example.Calc", path: "/calc")
/// let sum = try await calculator.call(Calculator.add, 2, 3)
/// for await message in try await calculator.signals(Calculator.overflowed) { print(message) }
/// ```
public struct Proxy<Interface: DBusInterface>: Sendable {
    public let connection: Connection
    /// The bus name the object lives at (unique or well-known).
    public let destination: String
    public let path: ObjectPath

    public init(connection: Connection, destination: String, path: ObjectPath) {
        self.connection = connection
        self.destination = destination
        self.path = path
    }

    /// Calls a declared method and returns its typed results.
    public func call<each Input: DBusRepresentable, each Output: DBusRepresentable>(
        _ method: MethodDeclaration<repeat each Input>.Returning<repeat each Output>, _ arguments: repeat each Input,
        flags: MessageFlags = [], timeout: Duration = Connection.defaultTimeout
    ) async throws -> (repeat each Output) {
        try await connection.call(
            destination: destination, path: path, interface: method.interface, member: method.name,
            repeat each arguments, returning: (repeat each Output).self, flags: flags, timeout: timeout)
    }

    /// Calls a declared method with NO_REPLY_EXPECTED: returns once the call is queued.
    public func callWithoutReply<each Input: DBusRepresentable, each Output: DBusRepresentable>(
        _ method: MethodDeclaration<repeat each Input>.Returning<repeat each Output>, _ arguments: repeat each Input
    ) throws {
        try connection.send(destination: destination, path: path, interface: method.interface, member: method.name,
                            repeat each arguments)
    }

    /// Reads a property with `org.freedesktop.DBus.Properties.Get`.
    public func get<Value: DBusRepresentable>(_ property: PropertyDeclaration<Value>) async throws -> Value {
        let variant = try await connection.call(
            destination: destination, path: path, interface: PropertiesInterface.name, member: "Get",
            property.interface, property.name, returning: Variant.self)
        do { return try variant.get(Value.self) } catch let error as DBusTypeError {
            throw ConnectionError.unexpectedReply(member: "Get \(property.name)", error)
        }
    }

    /// Writes a property with `org.freedesktop.DBus.Properties.Set`.
    public func set<Value: DBusRepresentable>(_ property: PropertyDeclaration<Value>, to value: Value) async throws {
        try await connection.call(
            destination: destination, path: path, interface: PropertiesInterface.name, member: "Set",
            property.interface, property.name, try Variant(value), returning: Void.self)
    }

    /// Every property of the interface, with `GetAll`.
    public func getAll() async throws -> [String: Variant] {
        try await connection.call(
            destination: destination, path: path, interface: PropertiesInterface.name, member: "GetAll",
            Interface.name, returning: [String: Variant].self)
    }

    /// A declared signal from this object, as a stream of its typed arguments. The match
    /// rule (sender, path, interface, member) is on the bus when this returns and is removed
    /// when the stream ends.
    public func signals<each Argument: DBusRepresentable>(
        _ signal: SignalDeclaration<repeat each Argument>
    ) async throws -> SignalStream<(repeat each Argument)> {
        try await SignalStream(connection: connection, rule: signal.matchRule(sender: destination, path: path)) { message in
            try message.arguments(as: (repeat each Argument).self)
        }
    }

    /// A cache of the interface's properties, filled with `GetAll` and kept current by
    /// `PropertiesChanged`.
    public func propertyCache() async throws -> PropertyCache {
        try await PropertyCache(connection: connection, destination: destination, path: path, interface: Interface.name)
    }

    /// `org.freedesktop.DBus.Introspectable.Introspect`: the object's XML description.
    public func introspect() async throws -> String {
        try await connection.call(
            destination: destination, path: path, interface: "org.freedesktop.DBus.Introspectable", member: "Introspect",
            returning: String.self)
    }
}
