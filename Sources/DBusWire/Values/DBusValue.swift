/// D-Bus Value
///
/// One value of the D-Bus type system, owning its data: the convenient, allocating form.
/// Byte arrays are `.bytes`, one buffer rather than one enum per byte. Decoding always
/// produces `.bytes` for `ay` (normalised on decode); `.array(element: .byte, ...)` is still
/// accepted for encoding and marshals to the same bytes, but does not compare equal to `.bytes`.
/// Doubles compare as Swift doubles, so a value holding NaN is not equal to itself.
public indirect enum DBusValue: Sendable, Hashable {
    case byte(UInt8)
    case boolean(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(String)
    case signature(Signature)
    /// An index into the list of fds that travels with the message.
    case unixFD(UInt32)
    /// An array whose elements all have type `element`.
    case array(element: SignatureType, [DBusValue])
    /// A byte array, `ay`.
    case bytes([UInt8])
    case dictionary(key: SignatureType, value: SignatureType, [DBusDictEntry])
    case structure([DBusValue])
    case variant(DBusValue)

    /// The D-Bus type of this value.
    public var type: SignatureType {
        switch self {
        case .byte: return .byte
        case .boolean: return .boolean
        case .int16: return .int16
        case .uint16: return .uint16
        case .int32: return .int32
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        case .double: return .double
        case .string: return .string
        case .objectPath: return .objectPath
        case .signature: return .signature
        case .unixFD: return .unixFD
        case .array(let element, _): return .array(element)
        case .bytes: return .array(.byte)
        case .dictionary(let key, let value, _): return .dictionary(key: key, value: value)
        case .structure(let fields): return .structure(fields.map(\.type))
        case .variant: return .variant
        }
    }

    /// True when this value has type `type`; walks both without building a type tree.
    func hasType(_ type: SignatureType) -> Bool {
        switch (self, type) {
        case (.byte, .byte), (.boolean, .boolean), (.int16, .int16), (.uint16, .uint16),
            (.int32, .int32), (.uint32, .uint32), (.int64, .int64), (.uint64, .uint64),
            (.double, .double), (.string, .string), (.objectPath, .objectPath),
            (.signature, .signature), (.unixFD, .unixFD), (.variant, .variant):
            return true
        case (.bytes, .array(.byte)):
            return true
        case (.array(let element, _), .array(let expected)):
            return element == expected
        case (.dictionary(let k, let v, _), .dictionary(let key, let value)):
            return k == key && v == value
        case (.structure(let fields), .structure(let types)):
            guard fields.count == types.count else { return false }
            for (field, fieldType) in zip(fields, types) where !field.hasType(fieldType) { return false }
            return true
        default:
            return false
        }
    }
}
