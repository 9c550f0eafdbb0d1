// XML Error
//
// What makes a busconfig file malformed XML, and where.

/// A well-formedness error found by the XML reader, with the line and column where the
/// offending construct starts.
public struct XMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rule of XML the input breaks.
    public enum Reason: Equatable, Sendable {
        case textOutsideRoot
        case noRootElement
        case multipleRootElements
        case misplacedDoctype
        case unsupportedMarkup
        case unclosedElement(String)
        case unexpectedEndTag(String)
        case mismatchedEndTag(expected: String, found: String)
        case duplicateAttribute(String)
        case expected(String)
        case unexpectedEnd(inside: String)
        case unterminated(String)
        case ltInAttributeValue
        case unterminatedReference
        case unknownEntity(String)
        case invalidCharacterReference(String)
        case controlCharacter(UInt8)
        case invalidUTF8
    }

    public let reason: Reason
    public let position: XMLPosition

    init(_ reason: Reason, at position: XMLPosition) {
        self.reason = reason
        self.position = position
    }

    public var description: String {
        switch reason {
        case .textOutsideRoot: "text outside the root element"
        case .noRootElement: "no root element (the file is empty or holds only comments)"
        case .multipleRootElements: "a second root element after </busconfig>"
        case .misplacedDoctype: "<!DOCTYPE> after the root element"
        case .unsupportedMarkup: "unsupported markup declaration (only <!DOCTYPE>, comments and CDATA are allowed)"
        case .unclosedElement(let name): "element <\(name)> is not closed before the end of the file"
        case .unexpectedEndTag(let name): "</\(name)> closes no open element"
        case .mismatchedEndTag(let expected, let found): "</\(found)> does not match the open <\(expected)>"
        case .duplicateAttribute(let name): "attribute \"\(name)\" repeated on the same element"
        case .expected(let what): "expected \(what)"
        case .unexpectedEnd(let inside): "file ends inside \(inside)"
        case .unterminated(let what): "unterminated \(what)"
        case .ltInAttributeValue: "'<' is not allowed in an attribute value (write &lt;)"
        case .unterminatedReference: "'&' starts no reference (write &amp;)"
        case .unknownEntity(let name): "unknown entity &\(name); (only lt, gt, amp, quot, apos are defined)"
        case .invalidCharacterReference(let body): "&\(body); is not a character XML allows"
        case .controlCharacter(let byte): "control character 0x\(String(byte, radix: 16)) is not allowed in XML"
        case .invalidUTF8: "invalid UTF-8"
        }
    }
}
