/// Codegen Error: why introspection XML could not become Swift.

/// A problem in the input, with where it is and what to fix.
public enum CodegenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The XML itself is not well formed.
    case malformedXML(line: Int, column: Int, reason: String)
    /// An element lacks an attribute the introspection format requires.
    case missingAttribute(element: String, attribute: String, line: Int)
    /// A `type` attribute is not a single complete D-Bus type.
    case invalidType(member: String, type: String, reason: String)
    /// A valid D-Bus type that SwiftBus cannot express in Swift.
    case unsupportedType(member: String, type: String, reason: String)
    /// An attribute has a value the format does not allow.
    case invalidAttribute(element: String, attribute: String, value: String, line: Int)

    public var description: String {
        switch self {
        case .malformedXML(let line, let column, let reason): "line \(line):\(column): malformed XML: \(reason)"
        case .missingAttribute(let element, let attribute, let line): "line \(line): <\(element)> has no '\(attribute)' attribute"
        case .invalidType(let member, let type, let reason): "\(member): type '\(type)' is not one complete D-Bus type (\(reason))"
        case .unsupportedType(let member, let type, let reason): "\(member): type '\(type)' is not supported: \(reason)"
        case .invalidAttribute(let element, let attribute, let value, let line):
            "line \(line): <\(element)> has \(attribute)=\"\(value)\", which the introspection format does not allow"
        }
    }
}
