/// Introspection Model: the parts of introspection XML that code generation uses.

/// An object as introspection XML describes it: its interfaces and the names of its children.
public struct IntrospectedNode: Sendable, Hashable {
    /// The `name` attribute of the node, when it has one.
    public var name: String?
    public var interfaces: [IntrospectedInterface] = []
    /// The child nodes, with whatever they declare (often only a name).
    public var children: [IntrospectedNode] = []

    public init(name: String? = nil) { self.name = name }
}

/// One `<interface>`: its methods, properties and signals in document order.
public struct IntrospectedInterface: Sendable, Hashable {
    public var name: String
    public var methods: [IntrospectedMethod] = []
    public var properties: [IntrospectedProperty] = []
    public var signals: [IntrospectedSignal] = []
    public var isDeprecated = false

    public init(name: String) { self.name = name }
}

/// One `<arg>` of a method or signal.
public struct IntrospectedArgument: Sendable, Hashable {
    public var name: String?
    /// The D-Bus signature of one complete type.
    public var type: String
    /// Whether the argument is a method result (`direction="out"`); signal arguments are never results.
    public var isOutput: Bool

    public init(name: String?, type: String, isOutput: Bool) {
        self.name = name
        self.type = type
        self.isOutput = isOutput
    }
}

/// One `<method>`.
public struct IntrospectedMethod: Sendable, Hashable {
    public var name: String
    public var arguments: [IntrospectedArgument] = []
    public var isDeprecated = false
    /// `org.freedesktop.DBus.Method.NoReply`: callers need not wait for a reply.
    public var noReply = false

    public init(name: String) { self.name = name }

    public var inputs: [IntrospectedArgument] { arguments.filter { !$0.isOutput } }
    public var outputs: [IntrospectedArgument] { arguments.filter(\.isOutput) }
}

/// One `<signal>`.
public struct IntrospectedSignal: Sendable, Hashable {
    public var name: String
    public var arguments: [IntrospectedArgument] = []
    public var isDeprecated = false

    public init(name: String) { self.name = name }
}

/// One `<property>`.
public struct IntrospectedProperty: Sendable, Hashable {
    public var name: String
    public var type: String
    /// `read`, `write` or `readwrite`, as in the XML.
    public var access: String
    /// `org.freedesktop.DBus.Property.EmitsChangedSignal` as written: `true` (the default),
    /// `invalidates`, `const` or `false`.
    public var changeAnnotation = "true"
    /// Whether `PropertiesChanged` carries the new value: "invalidates" sends only the name,
    /// "const" never changes, "false" is not announced.
    public var emitsChangedSignal: Bool { changeAnnotation == "true" }
    public var isDeprecated = false

    public init(name: String, type: String, access: String) {
        self.name = name
        self.type = type
        self.access = access
    }
}
