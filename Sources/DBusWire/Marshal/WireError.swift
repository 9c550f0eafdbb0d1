/// Wire Error
///
/// Why bytes are not a valid D-Bus message (or a value cannot be marshalled): the rule
/// broken and the byte offset, relative to the start of the message, where it was broken.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rules of the specification a message can break, one case per rule.
    public enum Rule: Sendable, Hashable {
        /// The first byte is neither `l` nor `B`.
        case badByteOrder(UInt8)
        /// The message type is 0 or unknown (above 4).
        case badMessageType(UInt8)
        /// The protocol version is not 1.
        case badProtocolVersion(UInt8)
        /// The whole message would exceed the limit it is held to (`MessageSizeLimits`); carries
        /// its length and that limit.
        case messageTooLong(Int, limit: Int)
        /// The header fields array does not end exactly at its declared length.
        case headerFieldsLength(Int)
        /// Header field code 0, which the specification declares invalid.
        case invalidHeaderFieldCode
        /// A known header field whose variant holds another type; carries the type found.
        case headerFieldWrongType(field: HeaderFieldCode, found: String)
        /// A header field that appears twice.
        case duplicateHeaderField(HeaderFieldCode)
        /// A header field the message type requires is absent.
        case missingHeaderField(HeaderFieldCode, messageType: MessageType)
        /// A bus, interface, member or error name or object path breaks its grammar.
        case invalidName(NameError)
        /// PATH `/org/freedesktop/DBus/Local` or INTERFACE `org.freedesktop.DBus.Local`: reserved
        /// for messages a library synthesises locally, never sent (libdbus and dbus-broker reject them too).
        case reservedLocalName(HeaderFieldCode)
        /// A signature breaks a signature rule.
        case invalidSignature(SignatureProblem)
        /// The body's values, read by its signature, do not fill exactly the declared body length.
        case bodyLengthMismatch(declared: Int, used: Int)
        /// A padding byte is not zero.
        case nonZeroPadding
        /// A boolean other than 0 or 1.
        case invalidBoolean(UInt32)
        /// A string, path or signature is not valid UTF-8.
        case invalidUTF8
        /// A string contains a NUL byte.
        case stringContainsNul
        /// A string is not followed by its NUL terminator.
        case missingNulTerminator
        /// Past D-Bus's message length in anything but `ay` contents (only those may take a
        /// message past D-Bus's limits); carries the bytes and the limit.
        case tooLongOutsideByteArrays(Int, limit: Int)
        /// An array declares more bytes than its limit (`ProtocolLimits.maxArrayLength`, or for an
        /// `ay` `MessageSizeLimits.maxByteArrayLength`); carries its length and that limit.
        case arrayTooLong(Int, limit: Int)
        /// An array's elements do not end exactly at its declared length (or are not a whole
        /// number of fixed-size elements).
        case arrayLengthMismatch(declared: Int)
        /// Containers and variants nest deeper than `ProtocolLimits.maxTotalNesting`.
        case nestingTooDeep
        /// A unix fd index at or beyond the message's UNIX_FDS count.
        case unixFDIndexOutOfRange(index: UInt32, count: Int)
        /// UNIX_FDS declares more fds than arrived with the message.
        case unixFDCountMismatch(declared: Int, received: Int)
        /// UNIX_FDS is above `ProtocolLimits.maxUnixFDsPerMessage`.
        case tooManyUnixFDs(Int)
        /// The data ends before the value being read; carries the bytes needed and available.
        case truncated(needed: Int, available: Int)
        /// Bytes follow the end of the message in a buffer meant to hold exactly one.
        case trailingBytes(Int)
        /// The serial (or a REPLY_SERIAL) is zero.
        case serialZero
        /// A value being marshalled does not have the type its container declares.
        case valueTypeMismatch(expected: String, found: String)
    }

    /// The rule broken.
    public var rule: Rule
    /// Byte offset from the start of the message (or of the signature, for `Signature.init`).
    public var offset: Int

    public init(_ rule: Rule, at offset: Int) {
        self.rule = rule
        self.offset = offset
    }

    public var description: String { "\(explanation) (at byte \(offset))" }

    var explanation: String {
        switch rule {
        case .badByteOrder(let b): return "byte order is \(Self.describe(byte: b)); it must be 'l' or 'B'"
        case .badMessageType(let t): return "message type \(t) is not 1 (call), 2 (return), 3 (error) or 4 (signal)"
        case .badProtocolVersion(let v): return "protocol version is \(v); only \(ProtocolLimits.majorProtocolVersion) exists"
        case .messageTooLong(let n, let limit): return "message is \(n) bytes; the limit is \(limit)"
        case .headerFieldsLength(let n): return "header fields do not end at their declared length of \(n) bytes"
        case .invalidHeaderFieldCode: return "header field code 0 is invalid"
        case .headerFieldWrongType(let field, let found):
            return "header field \(field) holds type '\(found)'; it must be '\(Self.describe(byte: field.requiredTypeCode, quoted: false))'"
        case .duplicateHeaderField(let field): return "header field \(field) appears more than once"
        case .missingHeaderField(let field, let type): return "a \(type) message needs header field \(field)"
        case .invalidName(let error): return error.description
        case .reservedLocalName(let field): return "header field \(field) uses the reserved name of the local connection"
        case .invalidSignature(let problem): return "signature \(problem)"
        case .bodyLengthMismatch(let declared, let used):
            return "body length is \(declared) bytes but its signature accounts for \(used)"
        case .nonZeroPadding: return "padding byte is not zero"
        case .invalidBoolean(let v): return "boolean is \(v); it must be 0 or 1"
        case .invalidUTF8: return "string is not valid UTF-8"
        case .stringContainsNul: return "string contains a NUL byte"
        case .missingNulTerminator: return "string is not followed by a NUL byte"
        case .arrayTooLong(let n, let limit): return "array is \(n) bytes; the limit is \(limit)"
        case .tooLongOutsideByteArrays(let n, let limit):
            return "message has \(n) bytes outside byte arrays; the limit is \(limit) (only byte arrays may pass it)"
        case .arrayLengthMismatch(let n): return "array elements do not end at the declared length of \(n) bytes"
        case .nestingTooDeep: return "containers and variants nest more than \(ProtocolLimits.maxTotalNesting) deep"
        case .unixFDIndexOutOfRange(let index, let count):
            return "unix fd index \(index) is out of range; the message carries \(count)"
        case .unixFDCountMismatch(let declared, let received):
            return "header declares \(declared) unix fds but \(received) arrived"
        case .tooManyUnixFDs(let n): return "message declares \(n) unix fds; the limit is \(ProtocolLimits.maxUnixFDsPerMessage)"
        case .truncated(let needed, let available): return "data ends early: \(needed) bytes needed, \(available) available"
        case .trailingBytes(let n): return "\(n) bytes follow the end of the message"
        case .serialZero: return "serial is zero; serials must be non-zero"
        case .valueTypeMismatch(let expected, let found): return "value of type '\(found)' where '\(expected)' is declared"
        }
    }

    /// A byte as a person would want to see it: the character if printable, else hex.
    static func describe(byte: UInt8, quoted: Bool = true) -> String {
        if byte >= 0x21 && byte < 0x7F {
            let text = String(UnicodeScalar(byte))
            return quoted ? "'\(text)'" : text
        }
        let hex = String(byte, radix: 16)
        return "0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}

extension WireError.Rule {
    /// Whether this is a length limit of `MessageSizeLimits` (a message or an array too long),
    /// which a path with larger limits may lift.
    public var isLengthLimit: Bool {
        switch self {
        case .messageTooLong, .arrayTooLong: true
        default: false
        }
    }
}
