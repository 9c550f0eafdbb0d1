/// The codes of the header fields, each with the one D-Bus type the specification requires.
///
/// Codes not listed here are legal on the wire and must be ignored by receivers; the broker
/// removes them before forwarding (header filtering, as dbus-daemon does).
public enum HeaderFieldCode: UInt8, Sendable, Hashable, CaseIterable {
    case path = 1
    case interface = 2
    case member = 3
    case errorName = 4
    case replySerial = 5
    case destination = 6
    case sender = 7
    case signature = 8
    case unixFDs = 9

    /// The D-Bus type code the value of this field must have (`o`, `s`, `u` or `g`).
    public var requiredTypeCode: UInt8 {
        switch self {
        case .path: return UInt8(ascii: "o")
        case .interface, .member, .errorName, .destination, .sender: return UInt8(ascii: "s")
        case .replySerial, .unixFDs: return UInt8(ascii: "u")
        case .signature: return UInt8(ascii: "g")
        }
    }
}
