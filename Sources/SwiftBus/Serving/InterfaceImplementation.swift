/// Interface Implementation
import DBusWire

/// The served side of a `DBusInterface`: a handler for each declared method, accessors for
/// each declared property. Introspection is derived from the declarations registered here.
///
/// ```swift
/// var calculator = InterfaceImplementation(Calculator.self)
/// calculator.method(Calculator.add) { a, b in a + b }
/// calculator.property(Calculator.total, get: { await state.total })
/// try connection.export(calculator, at: "/calc")
/// ```
/// Handlers run in a new task per call; `MethodContext.current` says who called. Throw a
/// `DBusError` to answer with that error name; any other error answers
/// `org.freedesktop.DBus.Error.Failed` with its description.
public struct InterfaceImplementation<Interface: DBusInterface>: Sendable {
    var exported = ExportedInterface(name: Interface.name)

    public init(_ interface: Interface.Type) {}

    /// Implements a declared method.
    public mutating func method<each Input: DBusRepresentable, each Output: DBusRepresentable>(
        _ method: MethodDeclaration<repeat each Input>.Returning<repeat each Output>,
        _ handler: @escaping @Sendable (repeat each Input) async throws -> (repeat each Output)
    ) {
        let invoke: ExportedMethod.Handler = { call in
            let arguments: (repeat each Input)
            do {
                arguments = try call.arguments(as: (repeat each Input).self)
            } catch {
                throw DBusError(name: DBusError.invalidArgs, message: "\(method.name): \(error)")
            }
            let results = try await handler(repeat each arguments)
            return try encodeArguments(repeat each results)
        }
        exported.methods[method.name] = ExportedMethod(
            name: method.name, inputTypes: method.inputTypes, outputTypes: method.outputTypes,
            argumentNames: method.argumentNames, resultNames: method.resultNames, handler: invoke)
    }

    /// Implements a declared property: `get` for reading, `set` for writing when the
    /// declaration allows it. A successful remote `Set` announces the new value with
    /// `PropertiesChanged` when the declaration says it emits changes.
    public mutating func property<Value: DBusRepresentable>(
        _ property: PropertyDeclaration<Value>,
        get: @escaping @Sendable () async throws -> Value,
        set: (@Sendable (Value) async throws -> Void)? = nil
    ) {
        var setter: ExportedProperty.Setter?
        if let set {
            let name = property.name
            setter = { @Sendable (variant: Variant) async throws -> Void in
                let value: Value
                do { value = try variant.get(Value.self) } catch {
                    throw DBusError(name: DBusError.invalidArgs, message: "\(name): \(error)")
                }
                try await set(value)
            }
        }
        exported.properties[property.name] = ExportedProperty(
            name: property.name, type: Value.dbusType, access: property.access,
            emitsChangedSignal: property.emitsChangedSignal, getter: { try Variant(try await get()) }, setter: setter)
    }

    /// Lists a declared signal in the introspection data (emit it with `Connection.emit`).
    public mutating func signal<each Argument: DBusRepresentable>(_ signal: SignalDeclaration<repeat each Argument>) {
        exported.signals.append(ExportedSignal(name: signal.name, types: signal.argumentTypes, argumentNames: signal.argumentNames))
    }
}

/// Who is calling, and what: available to method and property handlers as `MethodContext.current`.
/// It can also emit signals on the connection that received the call, so a handler need not
/// capture its `Connection` (a captured connection is kept alive by its own exported objects
/// until `close()`).
public struct MethodContext: Sendable {
    /// The call message.
    public let message: ReceivedMessage
    let core: ConnectionCore

    /// Emits a declared signal on the connection that received this call.
    public func emit<each Argument: DBusRepresentable>(
        _ signal: SignalDeclaration<repeat each Argument>, from path: ObjectPath, _ arguments: repeat each Argument
    ) throws {
        let encoded = try encodeArguments(repeat each arguments)
        _ = try core.send(Message.signal(path: path.rawValue, interface: signal.interface, member: signal.name, body: encoded.body),
                          fileDescriptors: encoded.fileDescriptors, payloads: encoded.payloads)
    }
    /// The caller's unique name.
    public var sender: String? { message.message.sender }
    /// The caller's credentials as the bus vouches for them with this call (kdbus transport,
    /// metadata asked for); nil otherwise.
    public var senderCredentials: SenderCredentials? { message.senderCredentials }
    /// The path the call was addressed to.
    public var path: String? { message.message.path }

    /// The context of the call being handled by the current task.
    @TaskLocal public static var current: MethodContext?
}

/// A type-erased served interface.
struct ExportedInterface: Sendable {
    let name: String
    var methods: [String: ExportedMethod] = [:]
    var properties: [String: ExportedProperty] = [:]
    var signals: [ExportedSignal] = []
}

struct ExportedMethod: Sendable {
    typealias Handler = @Sendable (ReceivedMessage) async throws -> EncodedArguments
    let name: String
    let inputTypes: [SignatureType]
    let outputTypes: [SignatureType]
    let argumentNames: [String]
    let resultNames: [String]
    let handler: Handler
}

struct ExportedProperty: Sendable {
    typealias Setter = @Sendable (Variant) async throws -> Void
    let name: String
    let type: SignatureType
    let access: PropertyAccess
    let emitsChangedSignal: Bool
    let getter: @Sendable () async throws -> Variant
    let setter: Setter?
}

struct ExportedSignal: Sendable {
    let name: String
    let types: [SignatureType]
    let argumentNames: [String]
}
