/// Connection Serving: exporting objects, announcing property changes, owning names.
import DBusWire

extension Connection {
    /// Serves `implementation` at `path`. Another implementation of the same interface at
    /// the same path is replaced. An ObjectManager above the path announces it.
    /// Handlers that capture this connection keep it alive until `close()`; to emit signals
    /// from a handler, `MethodContext.current?.emit(…)` needs no capture.
    public func export<Interface: DBusInterface>(_ implementation: InterfaceImplementation<Interface>, at path: ObjectPath) {
        server.export(implementation.exported, at: path)
    }

    /// Stops serving `interface` at `path`; false when it was not served there.
    @discardableResult
    public func unexport<Interface: DBusInterface>(_ interface: Interface.Type, at path: ObjectPath) -> Bool {
        server.unexport(Interface.name, at: path)
    }

    /// Serves `org.freedesktop.DBus.ObjectManager` at `path` for every object below it;
    /// exports and unexports below it are announced with InterfacesAdded/InterfacesRemoved.
    public func addObjectManager(at path: ObjectPath) {
        server.addManager(at: path)
    }

    /// Announces a property's new value with `PropertiesChanged`.
    public func propertyChanged<Value: DBusRepresentable>(
        _ property: PropertyDeclaration<Value>, to value: Value, at path: ObjectPath
    ) throws {
        try server.emitChanged(interface: property.interface, at: path, [property.name: try Variant(value)])
    }

    /// Announces that a property changed without sending its value (`invalidated_properties`).
    public func propertyInvalidated<Value: DBusRepresentable>(_ property: PropertyDeclaration<Value>, at path: ObjectPath) throws {
        try server.emitChanged(interface: property.interface, at: path, [:], invalidated: [property.name])
    }

    /// Asks the bus for a well-known name.
    public func requestName(_ name: String, flags: RequestNameFlags = []) async throws -> RequestNameReply {
        try await bus.requestName(name, flags: flags)
    }

    /// Gives up a well-known name.
    public func releaseName(_ name: String) async throws -> ReleaseNameReply {
        try await bus.releaseName(name)
    }

    /// `NameAcquired` and `NameLost` as the bus sends them to this connection. The bus
    /// sends both to us without a match rule, so nothing is added on the bus; subscribe
    /// before `requestName` to see the acquisition.
    public func nameEvents() async throws -> SignalStream<NameEvent> {
        let rule = MatchRule(type: .signal, sender: BusDriver.busName, interface: BusDriver.interfaceName,
                             path: BusDriver.path.rawValue)
        return try await SignalStream(connection: self, rule: rule, addRuleOnBus: false) { received in
            let name = try received.arguments(as: String.self)
            switch received.message.member {
            case "NameAcquired": return .acquired(name)
            case "NameLost": return .lost(name)
            default: throw DBusTypeError.mismatch(expected: "NameAcquired or NameLost", found: received.message.member ?? "")
            }
        }
    }
}

/// A change in the names this connection owns.
public enum NameEvent: Sendable, Hashable {
    /// The bus made us the primary owner of the name.
    case acquired(String)
    /// We are no longer the primary owner (replaced, released or queue left).
    case lost(String)
}
