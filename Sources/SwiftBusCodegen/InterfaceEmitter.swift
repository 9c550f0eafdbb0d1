/// Interface Emitter: the Swift for one interface, with its names and types resolved first.

/// Resolves every name and type of one interface up front (so that errors surface before
/// any text is written), then writes the declaration, proxy and server protocol.
struct InterfaceEmitter {
    struct Parameter {
        let name: String
        let type: String
    }

    struct Method {
        let source: IntrospectedMethod
        let declaration: String
        let proxyName: String
        let serverName: String
        let inputs: [Parameter]
        let outputs: [String]
    }

    struct Property {
        let source: IntrospectedProperty
        let declaration: String
        let proxyGetter: String
        let proxySetter: String
        let serverGetter: String
        let serverSetter: String
        let type: String
        var readable: Bool { source.access != "write" }
        var writable: Bool { source.access != "read" }
    }

    struct Signal {
        let source: IntrospectedSignal
        let declaration: String
        let proxyName: String
        let types: [String]
    }

    let interface: IntrospectedInterface
    let typeName: String
    let access: String
    var methods: [Method] = []
    var properties: [Property] = []
    var signals: [Signal] = []
    var structs: [SwiftTypeMapper.GeneratedStruct] = []

    init(interface: IntrospectedInterface, typeName: String, access: String) throws(CodegenError) {
        self.interface = interface
        self.typeName = typeName
        self.access = access
        var types = SwiftTypeMapper(owner: typeName, reserved: SwiftGenerator.structReserved)
        var declarations = NameScope(reserved: SwiftGenerator.interfaceReserved)
        var proxy = NameScope(reserved: SwiftGenerator.proxyReserved)
        var server = NameScope(reserved: SwiftGenerator.serverReserved)
        for method in interface.methods {
            let base = SwiftNames.lowerCamel(method.name)
            var parameters = NameScope(reserved: ["self"])
            var inputs: [Parameter] = []
            for (index, argument) in method.inputs.enumerated() {
                let label = argument.name.map { SwiftNames.lowerCamel($0) } ?? "arg\(index)"
                let type = try types.swiftType(of: argument.type, member: method.name, use: argument.name ?? "Argument\(index)")
                inputs.append(Parameter(name: parameters.claim(label), type: type))
            }
            var outputs: [String] = []
            for (index, argument) in method.outputs.enumerated() {
                outputs.append(try types.swiftType(of: argument.type, member: method.name, use: argument.name ?? "Result\(index)"))
            }
            methods.append(Method(
                source: method, declaration: declarations.claim(base), proxyName: proxy.claim(base, suffix: "Method"),
                serverName: server.claim(base, suffix: "Method"), inputs: inputs, outputs: outputs))
        }
        for property in interface.properties {
            let base = SwiftNames.lowerCamel(property.name)
            let setter = "set" + SwiftNames.upperCamel(property.name)
            properties.append(Property(
                source: property, declaration: declarations.claim(base), proxyGetter: proxy.claim(base, suffix: "Property"),
                proxySetter: proxy.claim(setter), serverGetter: server.claim(base, suffix: "Property"),
                serverSetter: server.claim(setter),
                type: try types.swiftType(of: property.type, member: property.name, use: "Value")))
        }
        for signal in interface.signals {
            let base = SwiftNames.lowerCamel(signal.name)
            var argumentTypes: [String] = []
            for (index, argument) in signal.arguments.enumerated() {
                argumentTypes.append(try types.swiftType(of: argument.type, member: signal.name, use: argument.name ?? "Argument\(index)"))
            }
            signals.append(Signal(
                source: signal, declaration: declarations.claim(base),
                proxyName: proxy.claim(base + "Signals"), types: argumentTypes))
        }
        structs = types.structs
    }

    func emit(into out: inout CodeWriter) {
        emitDeclaration(into: &out)
        out.line("")
        emitProxy(into: &out)
        out.line("")
        emitServer(into: &out)
    }

    // MARK: Declaration

    private func emitDeclaration(into out: inout CodeWriter) {
        out.line("/// `\(interface.name)`\(interface.isDeprecated ? " (deprecated)" : ""), declared once for proxies and servers.")
        out.block("\(access)enum \(typeName): DBusInterface") { out in
            out.line("\(access)static let name = \(SwiftNames.literal(interface.name))")
            for method in methods {
                out.line(signatureComment(method.source.name, method.source.arguments, deprecated: method.source.isDeprecated))
                let argumentNames = method.source.inputs.map { $0.name ?? "" }
                let resultNames = method.source.outputs.map { $0.name ?? "" }
                out.line("\(access)static let \(SwiftNames.escaped(method.declaration)) = method("
                    + "\(SwiftNames.literal(method.source.name)), \(metatype(method.inputs.map(\.type))), "
                    + "returns: \(metatype(method.outputs)), argumentNames: \(stringArray(argumentNames)), "
                    + "resultNames: \(stringArray(resultNames)))")
            }
            // A write-only property has no value to announce, so it never emits PropertiesChanged.
            for property in properties {
                out.line("/// Property `\(property.source.name)` (`\(property.source.type)`, \(property.source.access))"
                    + (property.source.isDeprecated ? ", deprecated." : "."))
                out.line("\(access)static let \(SwiftNames.escaped(property.declaration)) = property("
                    + "\(SwiftNames.literal(property.source.name)), \(property.type).self, access: .\(property.source.access), "
                    + "emitsChangedSignal: \(property.readable && property.source.emitsChangedSignal))")
            }
            for signal in signals {
                out.line(signatureComment(signal.source.name, signal.source.arguments, deprecated: signal.source.isDeprecated))
                out.line("\(access)static let \(SwiftNames.escaped(signal.declaration)) = signal("
                    + "\(SwiftNames.literal(signal.source.name)), \(metatype(signal.types)), "
                    + "argumentNames: \(stringArray(signal.source.arguments.map { $0.name ?? "" })))")
            }
            for generated in structs { emitStruct(generated, into: &out) }
        }
    }

    private func emitStruct(_ generated: SwiftTypeMapper.GeneratedStruct, into out: inout CodeWriter) {
        out.line("")
        out.line("/// The D-Bus struct `\(generated.signature)`.")
        out.block("\(access)struct \(generated.name): DBusStruct") { out in
            let fields = generated.fieldTypes.indices.map { "field\($0)" }
            for (field, type) in zip(fields, generated.fieldTypes) { out.line("\(access)var \(field): \(type)") }
            out.line("")
            out.line("\(access)static let dbusFieldTypes: [SignatureType] = [\(generated.fieldTypes.map { "\($0).dbusType" }.joined(separator: ", "))]")
            out.line("")
            let parameters = zip(fields, generated.fieldTypes).map { "_ \($0): \($1)" }.joined(separator: ", ")
            out.block("\(access)init(\(parameters))") { out in
                for field in fields { out.line("self.\(field) = \(field)") }
            }
            out.line("")
            out.block("\(access)func encodeFields(to fields: inout DBusStructEncoder) throws") { out in
                for field in fields { out.line("try fields.append(\(field))") }
            }
            out.line("")
            out.block("\(access)init(fields: inout DBusStructDecoder) throws") { out in
                for field in fields { out.line("\(field) = try fields.next()") }
            }
        }
    }

    // MARK: Proxy

    private func emitProxy(into out: inout CodeWriter) {
        out.line("/// Typed calls on a remote `\(interface.name)`.")
        out.block("extension Proxy where Interface == \(typeName)") { out in
            for method in methods {
                let parameters = method.inputs.map { "_ \(SwiftNames.escaped($0.name)): \($0.type)" }.joined(separator: ", ")
                let arguments = ([member(method.declaration)] + method.inputs.map { SwiftNames.escaped($0.name) }).joined(separator: ", ")
                out.line("/// Calls `\(method.source.name)`.")
                out.block("\(access)func \(SwiftNames.escaped(method.proxyName))(\(parameters)) async throws\(returnClause(method.outputs))") { out in
                    out.line("try await call(\(arguments))")
                }
            }
            for property in properties {
                if property.readable {
                    out.line("/// Reads property `\(property.source.name)`.")
                    out.block("\(access)var \(SwiftNames.escaped(property.proxyGetter)): \(property.type)") { out in
                        out.line("get async throws { try await get(\(member(property.declaration))) }")
                    }
                }
                if property.writable {
                    out.line("/// Writes property `\(property.source.name)`.")
                    out.block("\(access)func \(SwiftNames.escaped(property.proxySetter))(_ value: \(property.type)) async throws") { out in
                        out.line("try await set(\(member(property.declaration)), to: value)")
                    }
                }
            }
            for signal in signals {
                out.line("/// Signal `\(signal.source.name)` from this object, as a stream of its arguments.")
                out.block("\(access)func \(SwiftNames.escaped(signal.proxyName))() async throws -> SignalStream<\(tuple(signal.types))>") { out in
                    out.line("try await signals(\(member(signal.declaration)))")
                }
            }
        }
    }

    // MARK: Server

    private func emitServer(into out: inout CodeWriter) {
        let serverName = typeName + "Server"
        out.line("/// What an object serving `\(interface.name)` implements; export `implementation()`.")
        out.block("\(access)protocol \(serverName): Sendable") { out in
            for method in methods {
                let parameters = method.inputs.map { "_ \(SwiftNames.escaped($0.name)): \($0.type)" }.joined(separator: ", ")
                out.line("func \(SwiftNames.escaped(method.serverName))(\(parameters)) async throws\(returnClause(method.outputs))")
            }
            for property in properties {
                if property.readable { out.line("var \(SwiftNames.escaped(property.serverGetter)): \(property.type) { get async throws }") }
                if property.writable { out.line("func \(SwiftNames.escaped(property.serverSetter))(_ value: \(property.type)) async throws") }
            }
        }
        out.line("")
        out.block("extension \(serverName)") { out in
            out.line("/// This object's methods and properties, ready for `Connection.export(_:at:)`.")
            out.block("\(access)func implementation() -> InterfaceImplementation<\(typeName)>") { out in
                out.line("var implementation = InterfaceImplementation(\(typeName).self)")
                for method in methods {
                    let names = method.inputs.indices.map { "p\($0)" }
                    let head = names.isEmpty ? "" : " \(names.joined(separator: ", ")) in"
                    out.line("implementation.method(\(member(method.declaration))) {\(head) try await self.\(SwiftNames.escaped(method.serverName))(\(names.joined(separator: ", "))) }")
                }
                for property in properties {
                    let getter = property.readable
                        ? "{ try await self.\(SwiftNames.escaped(property.serverGetter)) }"
                        : "{ throw DBusError(name: DBusError.accessDenied, message: \(SwiftNames.literal("property \(property.source.name) is write-only"))) }"
                    let setter = property.writable ? "{ try await self.\(SwiftNames.escaped(property.serverSetter))($0) }" : "nil"
                    out.line("implementation.property(\(member(property.declaration)), get: \(getter), set: \(setter))")
                }
                for signal in signals { out.line("implementation.signal(\(member(signal.declaration)))") }
                out.line("return implementation")
            }
        }
    }

    // MARK: Pieces

    private func member(_ declaration: String) -> String { "\(typeName).\(SwiftNames.escaped(declaration))" }

    private func metatype(_ types: [String]) -> String {
        switch types.count {
        case 0: "Void.self"
        case 1: "\(types[0]).self"
        default: "(\(types.joined(separator: ", "))).self"
        }
    }

    private func tuple(_ types: [String]) -> String {
        types.count == 1 ? types[0] : "(\(types.joined(separator: ", ")))"
    }

    private func returnClause(_ outputs: [String]) -> String {
        outputs.isEmpty ? "" : " -> \(tuple(outputs))"
    }

    /// A list of argument names; `[]` when the XML names none, as the library's default.
    private func stringArray(_ items: [String]) -> String {
        if items.allSatisfy(\.isEmpty) { return "[]" }
        return "[" + items.map(SwiftNames.literal).joined(separator: ", ") + "]"
    }

    private func signatureComment(_ name: String, _ arguments: [IntrospectedArgument], deprecated: Bool) -> String {
        let rendered = arguments.map { "\($0.isOutput ? "out " : "")\($0.name ?? "_"): \($0.type)" }.joined(separator: ", ")
        return "/// `\(name)(\(rendered))`\(deprecated ? ", deprecated." : ".")"
    }
}
