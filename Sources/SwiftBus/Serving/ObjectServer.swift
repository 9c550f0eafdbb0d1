/// Object Server
import DBusWire
import Glibc
import Synchronization

/// Answers method calls addressed to this connection: the exported interfaces, plus
/// Introspectable, Properties and Peer on every path and ObjectManager where one was added.
/// Each call runs in its own task, so a slow handler delays nobody else.
final class ObjectServer: Sendable {
    struct Registry {
        var objects: [ObjectPath: [String: ExportedInterface]] = [:]
        var managers: Set<ObjectPath> = []
    }

    let core: ConnectionCore
    let registry = Mutex(Registry())

    init(core: ConnectionCore) { self.core = core }

    /// Routes incoming calls here; the core drops the handler on disconnect.
    func install() {
        core.state.withLock { state in
            state.methodCallHandler = { [self] call in
                Task { await self.handle(call) }
            }
        }
    }

    // MARK: Registry

    func export(_ interface: ExportedInterface, at path: ObjectPath) {
        registry.withLock { $0.objects[path, default: [:]][interface.name] = interface }
        announce(added: [interface], at: path)
    }

    func unexport(_ name: String, at path: ObjectPath) -> Bool {
        let removed = registry.withLock { registry -> Bool in
            guard registry.objects[path]?.removeValue(forKey: name) != nil else { return false }
            if registry.objects[path]?.isEmpty == true { registry.objects.removeValue(forKey: path) }
            return true
        }
        if removed, let manager = manager(covering: path) {
            try? emitFromManager(manager, ObjectManagerInterface.interfacesRemoved, path, [name])
        }
        return removed
    }

    func addManager(at path: ObjectPath) {
        _ = registry.withLock { $0.managers.insert(path) }
    }

    /// The nearest ObjectManager strictly above `path` (or at it, for the manager's own interfaces).
    func manager(covering path: ObjectPath) -> ObjectPath? {
        registry.withLock { registry in
            registry.managers.filter { path.isDescendant(of: $0) && path != $0 }.max { $0.rawValue.count < $1.rawValue.count }
        }
    }

    private func announce(added interfaces: [ExportedInterface], at path: ObjectPath) {
        guard let manager = manager(covering: path) else { return }
        Task {
            var payload: [String: [String: Variant]] = [:]
            for interface in interfaces { payload[interface.name] = await Self.readableProperties(of: interface) }
            try? emitFromManager(manager, ObjectManagerInterface.interfacesAdded, path, payload)
        }
    }

    private func emitFromManager<each A: DBusRepresentable>(
        _ manager: ObjectPath, _ signal: SignalDeclaration<repeat each A>, _ arguments: repeat each A
    ) throws {
        let encoded = try encodeArguments(repeat each arguments)
        _ = try core.send(Message.signal(path: manager.rawValue, interface: signal.interface, member: signal.name, body: encoded.body),
                          fileDescriptors: encoded.fileDescriptors, payloads: encoded.payloads)
    }

    static func readableProperties(of interface: ExportedInterface) async -> [String: Variant] {
        var values: [String: Variant] = [:]
        for property in interface.properties.values where property.access != .write {
            if let value = try? await property.getter() { values[property.name] = value }
        }
        return values
    }

    // MARK: Dispatch

    func handle(_ call: ReceivedMessage) async {
        let message = call.message
        let outcome: Result<EncodedArguments, DBusError>
        do {
            outcome = .success(try await MethodContext.$current.withValue(MethodContext(message: call, core: core)) {
                try await dispatch(call)
            })
        } catch let error as DBusError {
            outcome = .failure(error)
        } catch {
            outcome = .failure(DBusError(name: DBusError.failed, message: "\(error)"))
        }
        guard !message.flags.contains(.noReplyExpected) else { return }
        switch outcome {
        case .success(let encoded):
            _ = try? core.send(Message.methodReturn(replyTo: message, body: encoded.body),
                               fileDescriptors: encoded.fileDescriptors, payloads: encoded.payloads)
        case .failure(let error):
            _ = try? core.send(Message.error(replyTo: message, name: error.name, message: error.message))
        }
    }

    private func dispatch(_ call: ReceivedMessage) async throws -> EncodedArguments {
        let message = call.message
        let path = ObjectPath(validated: message.path ?? "/")
        let member = message.member ?? ""
        switch message.interface {
        case PeerInterface.name?: return try peer(member)
        case IntrospectableInterface.name? where member == "Introspect": return EncodedArguments(body: [.string(introspect(path))])
        case PropertiesInterface.name?: return try await properties(call, path: path)
        case ObjectManagerInterface.name? where member == "GetManagedObjects" && isManager(path):
            return try encodeArguments(await managedObjects(below: path))
        default: break
        }
        if message.interface == nil {
            if member == "Ping" { return try peer(member) }
            if member == "Introspect" { return EncodedArguments(body: [.string(introspect(path))]) }
        }
        let interfaces = registry.withLock { $0.objects[path] }
        guard let interfaces else {
            throw DBusError(name: DBusError.unknownObject, message: "No such object path '\(path)'")
        }
        let method: ExportedMethod
        if let name = message.interface {
            guard let interface = interfaces[name] else {
                throw DBusError(name: DBusError.unknownInterface, message: "No such interface '\(name)' at object path '\(path)'")
            }
            guard let found = interface.methods[member] else { throw unknownMethod(message) }
            method = found
        } else {
            guard let found = interfaces.values.lazy.compactMap({ $0.methods[member] }).first else { throw unknownMethod(message) }
            method = found
        }
        return try await method.handler(call)
    }

    private func unknownMethod(_ message: Message) -> DBusError {
        DBusError(name: DBusError.unknownMethod,
                  message: "No such method '\(message.member ?? "")' in interface '\(message.interface ?? "")' at object path '\(message.path ?? "")' (signature '\(message.signature)')")
    }

    private func isManager(_ path: ObjectPath) -> Bool { registry.withLock { $0.managers.contains(path) } }

    private func peer(_ member: String) throws -> EncodedArguments {
        switch member {
        case "Ping": return .empty
        case "GetMachineId": return EncodedArguments(body: [.string(try Self.machineID())])
        default: throw DBusError(name: DBusError.unknownMethod, message: "No such method '\(member)' in org.freedesktop.DBus.Peer")
        }
    }

    /// `/etc/machine-id` (or dbus's own copy), as libdbus reads it.
    static func machineID() throws -> String {
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            guard let file = fopen(path, "r") else { continue }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 64)
            if fgets(&buffer, Int32(buffer.count), file) != nil {
                let text = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if text.count == 32 { return text }
            }
        }
        throw DBusError(name: DBusError.failed, message: "no machine id in /etc/machine-id or /var/lib/dbus/machine-id")
    }

    // MARK: Introspection

    func introspect(_ path: ObjectPath) -> String {
        let (interfaces, children, managed) = registry.withLock { registry in
            let interfaces = registry.objects[path].map { Array($0.values).sorted { $0.name < $1.name } } ?? []
            var children = Set<String>()
            let prefix = path.rawValue == "/" ? "/" : path.rawValue + "/"
            for other in registry.objects.keys where other.rawValue.hasPrefix(prefix) && other != path {
                if let first = other.rawValue.dropFirst(prefix.count).split(separator: "/").first { children.insert(String(first)) }
            }
            return (interfaces, children.sorted(), registry.managers.contains(path))
        }
        var all = interfaces
        if !interfaces.isEmpty || managed { all = IntrospectionXML.standardInterfaces + all }
        if managed { all.append(IntrospectionXML.objectManager) }
        return IntrospectionXML.document(interfaces: all, children: children)
    }

    // MARK: Properties

    private func properties(_ call: ReceivedMessage, path: ObjectPath) async throws -> EncodedArguments {
        let member = call.message.member ?? ""
        do {
            switch member {
            case "Get":
                let (interface, name) = try call.arguments(as: (String, String).self)
                let property = try lookUp(name, in: interface, at: path)
                guard property.access != .write else {
                    throw DBusError(name: DBusError.accessDenied, message: "Property '\(name)' is not readable")
                }
                return try encodeArguments(try await property.getter())
            case "GetAll":
                let interface = try call.arguments(as: String.self)
                let exported = try lookUpInterface(interface, at: path)
                return try encodeArguments(await Self.readableProperties(of: exported))
            case "Set":
                let (interface, name, value) = try call.arguments(as: (String, String, Variant).self)
                let property = try lookUp(name, in: interface, at: path)
                guard property.access != .read, let setter = property.setter else {
                    throw DBusError(name: DBusError.propertyReadOnly, message: "Property '\(name)' is read-only")
                }
                guard value.type == property.type else {
                    throw DBusError(name: DBusError.invalidArgs,
                                    message: "Property '\(name)' has type '\(property.type.signatureString)', not '\(value.type.signatureString)'")
                }
                try await setter(value)
                if property.emitsChangedSignal {
                    try emitChanged(interface: interface, at: path, [name: try await property.getter()])
                }
                return .empty
            default:
                throw unknownMethod(call.message)
            }
        } catch let error as DBusTypeError {
            throw DBusError(name: DBusError.invalidArgs, message: "\(error)")
        }
    }

    private func lookUpInterface(_ interface: String, at path: ObjectPath) throws -> ExportedInterface {
        guard let found = registry.withLock({ $0.objects[path]?[interface] }) else {
            throw DBusError(name: DBusError.unknownInterface, message: "No such interface '\(interface)' at object path '\(path)'")
        }
        return found
    }

    private func lookUp(_ name: String, in interface: String, at path: ObjectPath) throws -> ExportedProperty {
        guard let property = try lookUpInterface(interface, at: path).properties[name] else {
            throw DBusError(name: DBusError.unknownProperty, message: "No such property '\(name)' in interface '\(interface)'")
        }
        return property
    }

    func emitChanged(interface: String, at path: ObjectPath, _ changed: [String: Variant], invalidated: [String] = []) throws {
        let encoded = try encodeArguments(interface, changed, invalidated)
        let signal = PropertiesInterface.propertiesChanged
        _ = try core.send(Message.signal(path: path.rawValue, interface: signal.interface, member: signal.name, body: encoded.body),
                          fileDescriptors: encoded.fileDescriptors)
    }

    // MARK: ObjectManager

    private func managedObjects(below manager: ObjectPath) async -> [ObjectPath: [String: [String: Variant]]] {
        let objects = registry.withLock { $0.objects.filter { $0.key.isDescendant(of: manager) && $0.key != manager } }
        var result: [ObjectPath: [String: [String: Variant]]] = [:]
        for (path, interfaces) in objects {
            var entry: [String: [String: Variant]] = [:]
            for interface in interfaces.values { entry[interface.name] = await Self.readableProperties(of: interface) }
            result[path] = entry
        }
        return result
    }
}
