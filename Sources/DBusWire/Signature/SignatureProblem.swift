/// Signature Problem
///
/// Why a signature was rejected, one case per rule of the specification.
public enum SignatureProblem: Sendable, Hashable, CustomStringConvertible {
    /// Longer than `ProtocolLimits.maxSignatureLength`; carries the actual length.
    case tooLong(Int)
    /// A byte that is not a D-Bus type code.
    case unknownTypeCode(UInt8)
    /// More than `ProtocolLimits.maxArrayNesting` nested arrays.
    case arrayNestingTooDeep
    /// More than `ProtocolLimits.maxStructNesting` nested structs and dict entries.
    case structNestingTooDeep
    /// `{` anywhere but straight after `a`.
    case dictEntryOutsideArray
    /// A dict entry whose key is a container or variant.
    case dictEntryKeyNotBasic
    /// A dict entry without exactly one key and one value.
    case dictEntryFieldCount
    /// `()`.
    case emptyStruct
    /// A `)` or `}` that closes nothing open, or the wrong kind of bracket.
    case unexpectedClose(UInt8)
    /// The signature ends inside a type: `a` with no element, an unclosed `(` or `{`.
    case incompleteType
    /// A variant's signature must hold exactly one complete type; carries how many it held.
    case notSingleCompleteType(Int)
    /// A header field declared with a signature other than the one the specification requires.
    case wrongHeaderFieldType

    public var description: String {
        switch self {
        case .tooLong(let n): return "is \(n) bytes long; the limit is \(ProtocolLimits.maxSignatureLength)"
        case .unknownTypeCode(let c): return "contains \(WireError.describe(byte: c)), which is not a type code"
        case .arrayNestingTooDeep: return "nests arrays more than \(ProtocolLimits.maxArrayNesting) deep"
        case .structNestingTooDeep: return "nests structs more than \(ProtocolLimits.maxStructNesting) deep"
        case .dictEntryOutsideArray: return "has a dict entry '{' that is not the element of an array"
        case .dictEntryKeyNotBasic: return "has a dict entry whose key is not a basic type"
        case .dictEntryFieldCount: return "has a dict entry without exactly one key and one value"
        case .emptyStruct: return "has an empty struct '()'"
        case .unexpectedClose(let c): return "has \(WireError.describe(byte: c)) that closes nothing"
        case .incompleteType: return "ends in the middle of a type"
        case .notSingleCompleteType(let n): return "holds \(n) complete types where exactly one is required"
        case .wrongHeaderFieldType: return "is not the type the header field requires"
        }
    }
}
