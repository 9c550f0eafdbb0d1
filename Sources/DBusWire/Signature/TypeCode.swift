/// Type Codes
///
/// The ASCII codes of the D-Bus type system, and the facts about each code that the
/// signature validator and the value walker need without building a `SignatureType`.
enum TypeCode {
    static let byte = UInt8(ascii: "y")
    static let boolean = UInt8(ascii: "b")
    static let int16 = UInt8(ascii: "n")
    static let uint16 = UInt8(ascii: "q")
    static let int32 = UInt8(ascii: "i")
    static let uint32 = UInt8(ascii: "u")
    static let int64 = UInt8(ascii: "x")
    static let uint64 = UInt8(ascii: "t")
    static let double = UInt8(ascii: "d")
    static let string = UInt8(ascii: "s")
    static let objectPath = UInt8(ascii: "o")
    static let signature = UInt8(ascii: "g")
    static let unixFD = UInt8(ascii: "h")
    static let variant = UInt8(ascii: "v")
    static let array = UInt8(ascii: "a")
    static let structOpen = UInt8(ascii: "(")
    static let structClose = UInt8(ascii: ")")
    static let dictOpen = UInt8(ascii: "{")
    static let dictClose = UInt8(ascii: "}")

    /// Basic types may be dictionary keys; everything else may not.
    @inline(__always) static func isBasic(_ c: UInt8) -> Bool {
        switch c {
        case byte, boolean, int16, uint16, int32, uint32, int64, uint64, double, string, objectPath, signature, unixFD:
            return true
        default:
            return false
        }
    }

    /// The alignment of a value whose type starts with `c`; valid only for a code that starts a type.
    @inline(__always) static func alignment(_ c: UInt8) -> Int {
        switch c {
        case byte, signature, variant: return 1
        case int16, uint16: return 2
        case int64, uint64, double, structOpen, dictOpen: return 8
        default: return 4
        }
    }

    /// The size of a fixed-size basic value whose bytes need no checking (every bit pattern is
    /// valid), or 0. Arrays of these can be skipped in one step. Booleans and fds are excluded
    /// because their values must be checked.
    @inline(__always) static func uncheckedFixedSize(_ c: UInt8) -> Int {
        switch c {
        case byte: return 1
        case int16, uint16: return 2
        case int32, uint32: return 4
        case int64, uint64, double: return 8
        default: return 0
        }
    }
}
