/// Introspection Parser: introspection XML → `IntrospectedNode`.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the introspection format of the D-Bus specification (`node`, `interface`,
/// `method`, `signal`, `property`, `arg`, `annotation`). Unknown elements are skipped with
/// their contents, as the specification asks of readers; `org.gtk.GDBus.*` annotations are
/// ignored.
public enum IntrospectionParser {
    /// Parses a document whose root is a `<node>`.
    public static func parse(_ xml: String) throws(CodegenError) -> IntrospectedNode {
        let parser = XMLParser(data: Data(xml.utf8))
        let reader = IntrospectionReader()
        parser.delegate = reader
        parser.shouldResolveExternalEntities = false
        let ok = parser.parse()
        if let failure = reader.failure { throw failure }
        guard ok, let root = reader.root else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "no <node> element"
            throw .malformedXML(line: parser.lineNumber, column: parser.columnNumber, reason: reason)
        }
        return root
    }
}

/// The SAX side of `IntrospectionParser`: a stack of open elements.
private final class IntrospectionReader: NSObject, XMLParserDelegate {
    enum Open {
        case node(IntrospectedNode)
        case interface(IntrospectedInterface)
        case method(IntrospectedMethod)
        case signal(IntrospectedSignal)
        case property(IntrospectedProperty)
        /// Elements whose contents we do not read (`arg`, `annotation`, unknown ones).
        case skipped
    }

    var stack: [Open] = []
    var root: IntrospectedNode?
    var failure: CodegenError?

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        do throws(CodegenError) {
            try open(element, attributes, line: parser.lineNumber)
        } catch {
            failure = error
            parser.abortParsing()
        }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        guard let closed = stack.popLast() else { return }
        switch closed {
        case .node(let node):
            if stack.isEmpty { root = node } else if case .node(var parent) = stack.last {
                parent.children.append(node)
                stack[stack.count - 1] = .node(parent)
            }
        case .interface(let interface):
            if case .node(var node) = stack.last {
                node.interfaces.append(interface)
                stack[stack.count - 1] = .node(node)
            }
        case .method(let method):
            if case .interface(var interface) = stack.last {
                interface.methods.append(method)
                stack[stack.count - 1] = .interface(interface)
            }
        case .signal(let signal):
            if case .interface(var interface) = stack.last {
                interface.signals.append(signal)
                stack[stack.count - 1] = .interface(interface)
            }
        case .property(let property):
            if case .interface(var interface) = stack.last {
                interface.properties.append(property)
                stack[stack.count - 1] = .interface(interface)
            }
        case .skipped:
            break
        }
    }

    private func open(_ element: String, _ attributes: [String: String], line: Int) throws(CodegenError) {
        func required(_ attribute: String) throws(CodegenError) -> String {
            guard let value = attributes[attribute] else {
                throw .missingAttribute(element: element, attribute: attribute, line: line)
            }
            return value
        }
        switch (element, stack.last) {
        case ("node", nil), ("node", .node?):
            stack.append(.node(IntrospectedNode(name: attributes["name"])))
        case ("interface", .node?):
            stack.append(.interface(IntrospectedInterface(name: try required("name"))))
        case ("method", .interface?):
            stack.append(.method(IntrospectedMethod(name: try required("name"))))
        case ("signal", .interface?):
            stack.append(.signal(IntrospectedSignal(name: try required("name"))))
        case ("property", .interface?):
            let access = try required("access")
            guard ["read", "write", "readwrite"].contains(access) else {
                throw .invalidAttribute(element: element, attribute: "access", value: access, line: line)
            }
            stack.append(.property(IntrospectedProperty(name: try required("name"), type: try required("type"), access: access)))
        case ("arg", .method(var method)?):
            let direction = attributes["direction"] ?? "in"
            guard direction == "in" || direction == "out" else {
                throw .invalidAttribute(element: element, attribute: "direction", value: direction, line: line)
            }
            method.arguments.append(IntrospectedArgument(name: attributes["name"], type: try required("type"), isOutput: direction == "out"))
            stack[stack.count - 1] = .method(method)
            stack.append(.skipped)
        case ("arg", .signal(var signal)?):
            signal.arguments.append(IntrospectedArgument(name: attributes["name"], type: try required("type"), isOutput: false))
            stack[stack.count - 1] = .signal(signal)
            stack.append(.skipped)
        case ("annotation", _?):
            annotate(try required("name"), value: attributes["value"] ?? "")
            stack.append(.skipped)
        default:
            stack.append(.skipped)
        }
    }

    /// Applies an annotation to the element it sits in.
    private func annotate(_ name: String, value: String) {
        let deprecated = name == "org.freedesktop.DBus.Deprecated" && value == "true"
        switch stack.last {
        case .interface(var interface)?:
            if deprecated { interface.isDeprecated = true }
            stack[stack.count - 1] = .interface(interface)
        case .method(var method)?:
            if deprecated { method.isDeprecated = true }
            if name == "org.freedesktop.DBus.Method.NoReply" && value == "true" { method.noReply = true }
            stack[stack.count - 1] = .method(method)
        case .signal(var signal)?:
            if deprecated { signal.isDeprecated = true }
            stack[stack.count - 1] = .signal(signal)
        case .property(var property)?:
            if deprecated { property.isDeprecated = true }
            if name == "org.freedesktop.DBus.Property.EmitsChangedSignal" { property.changeAnnotation = value }
            stack[stack.count - 1] = .property(property)
        default:
            break
        }
    }
}
