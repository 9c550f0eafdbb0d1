/// Signature Type
///
/// One complete D-Bus type, as a tree. This is the convenient form for building and
/// inspecting values; the broker's validation path never builds one (it walks signature bytes).
public indirect enum SignatureType: Sendable, Hashable {
    case byte, boolean, int16, uint16, int32, uint32, int64, uint64, double
    case string, objectPath, signature, unixFD, variant
    case array(SignatureType)
    /// A dictionary, `a{kv}`: an array of dict entries. The key must be a basic type.
    case dictionary(key: SignatureType, value: SignatureType)
    /// A struct, `(...)`: one or more complete types.
    case structure([SignatureType])

    /// The boundary, relative to the start of the message, at which a value of this type starts.
    public var alignment: Int {
        switch self {
        case .byte, .signature, .variant: return 1
        case .int16, .uint16: return 2
        case .boolean, .int32, .uint32, .string, .objectPath, .unixFD, .array, .dictionary: return 4
        case .int64, .uint64, .double, .structure: return 8
        }
    }

    /// True for the types that may be dictionary keys: everything but containers and variants.
    public var isBasic: Bool {
        switch self {
        case .variant, .array, .dictionary, .structure: return false
        default: return true
        }
    }

    /// This type written as a D-Bus signature, e.g. `a{sv}`.
    public var signatureString: String {
        var bytes: [UInt8] = []
        appendSignature(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The single type code of a basic type or variant; the opening code of a container.
    var leadingCode: UInt8 {
        switch self {
        case .byte: return TypeCode.byte
        case .boolean: return TypeCode.boolean
        case .int16: return TypeCode.int16
        case .uint16: return TypeCode.uint16
        case .int32: return TypeCode.int32
        case .uint32: return TypeCode.uint32
        case .int64: return TypeCode.int64
        case .uint64: return TypeCode.uint64
        case .double: return TypeCode.double
        case .string: return TypeCode.string
        case .objectPath: return TypeCode.objectPath
        case .signature: return TypeCode.signature
        case .unixFD: return TypeCode.unixFD
        case .variant: return TypeCode.variant
        case .array, .dictionary: return TypeCode.array
        case .structure: return TypeCode.structOpen
        }
    }

    /// Appends the signature of this type; used to write variant signatures straight into a message.
    func appendSignature(to bytes: inout [UInt8]) {
        switch self {
        case .array(let element):
            bytes.append(TypeCode.array)
            element.appendSignature(to: &bytes)
        case .dictionary(let key, let value):
            bytes.append(TypeCode.array)
            bytes.append(TypeCode.dictOpen)
            key.appendSignature(to: &bytes)
            value.appendSignature(to: &bytes)
            bytes.append(TypeCode.dictClose)
        case .structure(let fields):
            bytes.append(TypeCode.structOpen)
            for field in fields { field.appendSignature(to: &bytes) }
            bytes.append(TypeCode.structClose)
        default:
            bytes.append(leadingCode)
        }
    }

    /// Builds the type that starts at `index` in a signature already checked by `SignatureValidation`.
    static func parseValidated(_ s: UnsafeRawBufferPointer, at index: inout Int) -> SignatureType {
        let c = s[index]
        index += 1
        switch c {
        case TypeCode.byte: return .byte
        case TypeCode.boolean: return .boolean
        case TypeCode.int16: return .int16
        case TypeCode.uint16: return .uint16
        case TypeCode.int32: return .int32
        case TypeCode.uint32: return .uint32
        case TypeCode.int64: return .int64
        case TypeCode.uint64: return .uint64
        case TypeCode.double: return .double
        case TypeCode.string: return .string
        case TypeCode.objectPath: return .objectPath
        case TypeCode.signature: return .signature
        case TypeCode.unixFD: return .unixFD
        case TypeCode.variant: return .variant
        case TypeCode.array:
            if s[index] == TypeCode.dictOpen {
                index += 1
                let key = parseValidated(s, at: &index)
                let value = parseValidated(s, at: &index)
                index += 1  // "}"
                return .dictionary(key: key, value: value)
            }
            return .array(parseValidated(s, at: &index))
        default:  // "(": validation guarantees nothing else starts a type
            var fields: [SignatureType] = []
            while s[index] != TypeCode.structClose { fields.append(parseValidated(s, at: &index)) }
            index += 1
            return .structure(fields)
        }
    }
}
