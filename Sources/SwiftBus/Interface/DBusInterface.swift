/// DBus Interface
import DBusWire

/// An interface declared once, used both to call it (`Proxy`) and to serve it
/// (`InterfaceImplementation`). Declare its members as static constants:
///
/// ```swift
/// enum Calculator: DBusInterface {
///     static let name = "org.example.Calculator"
///     static let add = method("Add", (Int32, Int32).self, returns: Int32.self)
///     static let total = property("Total", Int64.self, access: .read)
///     static let overflowed = signal("Overflowed", String.self)
/// }
/// ```
/// Signatures come from the Swift types, so proxy, server and introspection cannot disagree.
public protocol DBusInterface {
    /// The interface name, e.g. `org.freedesktop.DBus.Properties`.
    static var name: String { get }
}

extension DBusInterface {
    /// Declares a method; `Void.self` for no arguments or no results.
    public static func method<each Input: DBusRepresentable, each Output: DBusRepresentable>(
        _ name: String, _ inputs: (repeat each Input).Type, returns outputs: (repeat each Output).Type,
        argumentNames: [String] = [], resultNames: [String] = []
    ) -> MethodDeclaration<repeat each Input>.Returning<repeat each Output> {
        .init(interface: Self.name, name: name, argumentNames: argumentNames, resultNames: resultNames)
    }

    /// Declares a property.
    public static func property<Value: DBusRepresentable>(
        _ name: String, _ type: Value.Type, access: PropertyAccess, emitsChangedSignal: Bool = true
    ) -> PropertyDeclaration<Value> {
        .init(interface: Self.name, name: name, access: access, emitsChangedSignal: emitsChangedSignal)
    }

    /// Declares a signal.
    public static func signal<each Argument: DBusRepresentable>(
        _ name: String, _ arguments: (repeat each Argument).Type, argumentNames: [String] = []
    ) -> SignalDeclaration<repeat each Argument> {
        .init(interface: Self.name, name: name, argumentNames: argumentNames)
    }
}

/// Namespace for method declarations taking `Input`; see `Returning`.
public struct MethodDeclaration<each Input: DBusRepresentable> {
    /// A method of an interface: its name and, through its generic parameters, the types of
    /// its arguments and results.
    public struct Returning<each Output: DBusRepresentable>: Sendable {
        public let interface: String
        public let name: String
        public let argumentNames: [String]
        public let resultNames: [String]

        /// The D-Bus types of the arguments.
        public var inputTypes: [SignatureType] { packTypes((repeat each Input).self) }
        /// The D-Bus types of the results.
        public var outputTypes: [SignatureType] { packTypes((repeat each Output).self) }
    }
}

/// Who may read and write a property.
public enum PropertyAccess: String, Sendable {
    case read, write, readwrite
}

/// A property of an interface, with its value type.
public struct PropertyDeclaration<Value: DBusRepresentable>: Sendable {
    public let interface: String
    public let name: String
    public let access: PropertyAccess
    /// Whether servers announce changes with `PropertiesChanged`.
    public let emitsChangedSignal: Bool
}

/// A signal of an interface, with the types of its arguments.
public struct SignalDeclaration<each Argument: DBusRepresentable>: Sendable {
    public let interface: String
    public let name: String
    public let argumentNames: [String]

    /// The D-Bus types of the arguments.
    public var argumentTypes: [SignatureType] { packTypes((repeat each Argument).self) }

    /// The match rule for this signal, optionally from one sender and object.
    public func matchRule(sender: String? = nil, path: ObjectPath? = nil) -> MatchRule {
        MatchRule(type: .signal, sender: sender, interface: interface, member: name, path: path?.rawValue)
    }
}
