// Busconfig XML Reader
//
// A small pull reader for the XML subset that busconfig files use, so that the broker needs
// neither Foundation nor libexpat. It checks well-formedness (matched tags, one root, unique
// attributes, valid UTF-8, known entities) and reports every problem with its line and column.
// It never recurses, so hostile nesting costs memory for the open-tag stack only.

/// One thing the reader found, with where it starts in the file.
struct XMLEvent: Equatable {
    enum Kind: Equatable {
        /// An opening tag (or the opening half of `<x/>`); attributes in document order.
        case start(name: String, attributes: [XMLAttribute])
        /// A closing tag (or the closing half of `<x/>`).
        case end(name: String)
        /// Character data, entities already decoded; CDATA sections arrive as text too.
        case text(String)
    }
    let kind: Kind
    let position: XMLPosition
}

/// One `name="value"` pair of a tag, value decoded and normalized as XML requires.
struct XMLAttribute: Equatable, Sendable {
    let name: String
    let value: String
}

/// A place in a file: 1-based line, 1-based column counted in bytes.
public struct XMLPosition: Equatable, Sendable {
    public let line: Int
    public let column: Int
}

/// Reads busconfig XML one event at a time. See the file comment for what it accepts.
struct XMLReader {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var lineStart = 0
    private var openElements: [String] = []
    private var rootClosed = false
    private var sawRoot = false
    private var pendingEnd: XMLEvent?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next event, or nil at a well-formed end of input.
    mutating func next() throws(XMLError) -> XMLEvent? {
        if let end = pendingEnd {
            pendingEnd = nil
            return end
        }
        while offset < bytes.count {
            let here = position
            if bytes[offset] != Byte.lt {
                let text = try readText()
                if openElements.isEmpty {
                    guard text.allSatisfy(\.isXMLWhitespace) else { throw XMLError(.textOutsideRoot, at: here) }
                    continue
                }
                if !text.isEmpty { return XMLEvent(kind: .text(text), position: here) }
                continue
            }
            if let event = try readMarkup(at: here) { return event }
        }
        if let open = openElements.last { throw XMLError(.unclosedElement(open), at: position) }
        if !sawRoot { throw XMLError(.noRootElement, at: position) }
        return nil
    }

    var position: XMLPosition { XMLPosition(line: line, column: offset - lineStart + 1) }

    // MARK: - Markup

    /// Reads whatever starts with `<`; returns nil for markup that produces no event.
    private mutating func readMarkup(at here: XMLPosition) throws(XMLError) -> XMLEvent? {
        if starts(with: "<?") {
            try skip(past: "?>", what: "processing instruction", from: here)
            return nil
        }
        if starts(with: "<!--") {
            try skip(past: "-->", what: "comment", from: here)
            return nil
        }
        if starts(with: "<![CDATA[") {
            guard !openElements.isEmpty else { throw XMLError(.textOutsideRoot, at: here) }
            advance(by: 9)
            let start = offset
            try skip(past: "]]>", what: "CDATA section", from: here)
            let text = try decodeUTF8(bytes[start..<(offset - 3)], at: here)
            return XMLEvent(kind: .text(text), position: here)
        }
        if starts(with: "<!DOCTYPE") {
            guard !sawRoot else { throw XMLError(.misplacedDoctype, at: here) }
            try skipDoctype(from: here)
            return nil
        }
        if starts(with: "<!") { throw XMLError(.unsupportedMarkup, at: here) }
        if starts(with: "</") { return try readEndTag(at: here) }
        return try readStartTag(at: here)
    }

    private mutating func readStartTag(at here: XMLPosition) throws(XMLError) -> XMLEvent {
        advance(by: 1)
        if rootClosed { throw XMLError(.multipleRootElements, at: here) }
        let name = try readName()
        var attributes: [XMLAttribute] = []
        while true {
            let hadSpace = skipWhitespace()
            guard offset < bytes.count else { throw XMLError(.unexpectedEnd(inside: "<\(name)>"), at: position) }
            if bytes[offset] == Byte.gt {
                advance(by: 1)
                openElements.append(name)
                sawRoot = true
                return XMLEvent(kind: .start(name: name, attributes: attributes), position: here)
            }
            if starts(with: "/>") {
                advance(by: 2)
                sawRoot = true
                if openElements.isEmpty { rootClosed = true }
                pendingEnd = XMLEvent(kind: .end(name: name), position: here)
                return XMLEvent(kind: .start(name: name, attributes: attributes), position: here)
            }
            guard hadSpace else { throw XMLError(.expected("whitespace, '>' or '/>' in <\(name)>"), at: position) }
            let attribute = try readAttribute()
            if attributes.contains(where: { $0.name == attribute.name }) {
                throw XMLError(.duplicateAttribute(attribute.name), at: here)
            }
            attributes.append(attribute)
        }
    }

    private mutating func readEndTag(at here: XMLPosition) throws(XMLError) -> XMLEvent {
        advance(by: 2)
        let name = try readName()
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == Byte.gt else { throw XMLError(.expected("'>' after </\(name)"), at: position) }
        advance(by: 1)
        guard let open = openElements.last else { throw XMLError(.unexpectedEndTag(name), at: here) }
        guard open == name else { throw XMLError(.mismatchedEndTag(expected: open, found: name), at: here) }
        openElements.removeLast()
        if openElements.isEmpty { rootClosed = true }
        return XMLEvent(kind: .end(name: name), position: here)
    }

    private mutating func readAttribute() throws(XMLError) -> XMLAttribute {
        let name = try readName()
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == Byte.equals else { throw XMLError(.expected("'=' after attribute \(name)"), at: position) }
        advance(by: 1)
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == Byte.quote || bytes[offset] == Byte.apostrophe else {
            throw XMLError(.expected("a quoted value for attribute \(name)"), at: position)
        }
        let quote = bytes[offset]
        let valueStart = position
        advance(by: 1)
        var value: [UInt8] = []
        while true {
            guard offset < bytes.count else { throw XMLError(.unexpectedEnd(inside: "attribute \(name)"), at: valueStart) }
            let byte = bytes[offset]
            if byte == quote { advance(by: 1); break }
            if byte == Byte.lt { throw XMLError(.ltInAttributeValue, at: position) }
            if byte == Byte.amp {
                try readReference(into: &value)
                continue
            }
            try checkCharacter(byte)
            // XML attribute-value normalization: each whitespace character becomes a space.
            value.append(byte == Byte.tab || byte == Byte.newline || byte == Byte.cr ? Byte.space : byte)
            advance(by: 1)
        }
        return XMLAttribute(name: name, value: try decodeUTF8(value[...], at: valueStart))
    }

    private mutating func readName() throws(XMLError) -> String {
        let start = offset
        let here = position
        guard offset < bytes.count, Self.isNameStart(bytes[offset]) else { throw XMLError(.expected("a name"), at: here) }
        while offset < bytes.count, Self.isNameByte(bytes[offset]) { offset += 1 }
        return try decodeUTF8(bytes[start..<offset], at: here)
    }

    // MARK: - Text and references

    private mutating func readText() throws(XMLError) -> String {
        let here = position
        var text: [UInt8] = []
        while offset < bytes.count, bytes[offset] != Byte.lt {
            let byte = bytes[offset]
            if byte == Byte.amp {
                guard !openElements.isEmpty else { throw XMLError(.textOutsideRoot, at: position) }
                try readReference(into: &text)
                continue
            }
            try checkCharacter(byte)
            text.append(byte)
            advance(by: 1)
        }
        return try decodeUTF8(text[...], at: here)
    }

    /// Decodes `&name;` or `&#N;` / `&#xH;` at the current offset and appends its UTF-8.
    private mutating func readReference(into output: inout [UInt8]) throws(XMLError) {
        let here = position
        advance(by: 1)
        let start = offset
        while offset < bytes.count, bytes[offset] != Byte.semicolon, offset - start <= XMLReaderLimits.maxReferenceLength {
            advance(by: 1)
        }
        guard offset < bytes.count, bytes[offset] == Byte.semicolon else { throw XMLError(.unterminatedReference, at: here) }
        let body = String(decoding: bytes[start..<offset], as: UTF8.self)
        advance(by: 1)
        if let predefined = Self.predefinedEntities[body] {
            output.append(predefined)
            return
        }
        guard body.hasPrefix("#"), let scalar = Self.characterReference(body.dropFirst()) else {
            throw XMLError(body.hasPrefix("#") ? .invalidCharacterReference(body) : .unknownEntity(body), at: here)
        }
        output.append(contentsOf: String(Character(scalar)).utf8)
    }

    private static let predefinedEntities: [String: UInt8] = [
        "lt": Byte.lt, "gt": Byte.gt, "amp": Byte.amp, "quot": Byte.quote, "apos": Byte.apostrophe,
    ]

    /// The scalar a `#N` or `#xH` reference names, if it is a character XML allows.
    private static func characterReference(_ digits: Substring) -> Unicode.Scalar? {
        let value: UInt32?
        if digits.hasPrefix("x") {
            value = UInt32(digits.dropFirst(), radix: 16)
        } else {
            value = UInt32(digits, radix: 10)
        }
        // UInt32(_:radix:) accepts a leading sign; XML does not.
        guard let value, !digits.contains("+"), !digits.contains("-"), isXMLCharacter(value) else { return nil }
        return Unicode.Scalar(value)
    }

    /// XML 1.0's `Char` production.
    private static func isXMLCharacter(_ value: UInt32) -> Bool {
        value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }

    private func checkCharacter(_ byte: UInt8) throws(XMLError) {
        if byte < Byte.space && byte != Byte.tab && byte != Byte.newline && byte != Byte.cr {
            throw XMLError(.controlCharacter(byte), at: position)
        }
    }

    private func decodeUTF8(_ slice: ArraySlice<UInt8>, at here: XMLPosition) throws(XMLError) -> String {
        guard let string = String(validating: slice, as: UTF8.self) else { throw XMLError(.invalidUTF8, at: here) }
        return string
    }

    // MARK: - Skipping

    private mutating func skip(past terminator: StaticString, what: String, from here: XMLPosition) throws(XMLError) {
        while offset < bytes.count {
            if starts(with: terminator) {
                advance(by: terminator.utf8CodeUnitCount)
                return
            }
            advance(by: 1)
        }
        throw XMLError(.unterminated(what), at: here)
    }

    /// Skips `<!DOCTYPE …>`, including a quoted system id and an internal subset in `[…]`.
    private mutating func skipDoctype(from here: XMLPosition) throws(XMLError) {
        var quote: UInt8?
        var bracketDepth = 0
        advance(by: 9)
        while offset < bytes.count {
            let byte = bytes[offset]
            advance(by: 1)
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == Byte.quote || byte == Byte.apostrophe {
                quote = byte
            } else if byte == Byte.openBracket {
                bracketDepth += 1
            } else if byte == Byte.closeBracket {
                bracketDepth -= 1
            } else if byte == Byte.gt && bracketDepth <= 0 {
                return
            }
        }
        throw XMLError(.unterminated("DOCTYPE declaration"), at: here)
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = offset
        while offset < bytes.count, Self.isWhitespace(bytes[offset]) { advance(by: 1) }
        return offset > start
    }

    private func starts(with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count - offset >= count else { return false }
        let start = prefix.utf8Start
        for i in 0..<count where bytes[offset + i] != start[i] { return false }
        return true
    }

    /// Moves forward, keeping the line count right.
    private mutating func advance(by count: Int) {
        for _ in 0..<count where offset < bytes.count {
            if bytes[offset] == Byte.newline {
                line += 1
                lineStart = offset + 1
            }
            offset += 1
        }
    }

    // MARK: - Character classes

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == Byte.space || byte == Byte.tab || byte == Byte.newline || byte == Byte.cr
    }

    /// ASCII letters, `_` and `:`, or any non-ASCII byte (validated as UTF-8 afterwards).
    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A || byte >= 0x80
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E
    }
}

/// The limits the XML reader enforces on its own account.
enum XMLReaderLimits {
    /// Longest entity or character reference body, between `&` and `;` (`#x10FFFF` is 8).
    static let maxReferenceLength = 16
}

/// ASCII bytes the reader looks for.
private enum Byte {
    static let lt = UInt8(ascii: "<")
    static let gt = UInt8(ascii: ">")
    static let amp = UInt8(ascii: "&")
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let equals = UInt8(ascii: "=")
    static let semicolon = UInt8(ascii: ";")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
}

extension Character {
    /// XML's whitespace: space, tab, line feed, carriage return.
    var isXMLWhitespace: Bool { self == " " || self == "\t" || self == "\n" || self == "\r" || self == "\r\n" }
}
