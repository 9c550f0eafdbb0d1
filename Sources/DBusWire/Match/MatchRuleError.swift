/// Match Rule Errors
///
/// Why a match rule text was rejected: the rule broken, the key and value involved, and
/// the byte offset in the rule text where the problem starts.
public struct MatchRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rules a match rule text can break.
    public enum Reason: Sendable, Hashable {
        /// The text is longer than the limit (`length` bytes, limit `limit`).
        case tooLong(length: Int, limit: Int)
        /// The bytes are not valid UTF-8; D-Bus strings must be.
        case invalidUTF8
        /// The text contains a NUL byte, which no D-Bus string can carry.
        case nulByte
        /// A key is not followed by `=`.
        case missingEquals
        /// An `=` appears where a key should start.
        case missingKey
        /// A single quote opened at `position` is never closed.
        case unbalancedQuote
        /// The key is not one the specification defines.
        case unknownKey
        /// The key appeared before in the same rule.
        case duplicateKey
        /// `path` and `path_namespace` were both given.
        case pathWithPathNamespace
        /// `type` is not `signal`, `method_call`, `method_return` or `error`.
        case invalidMessageType
        /// The value is not a valid name of the kind the key needs.
        case invalidName(NameError)
        /// The value of `arg0namespace` is not a bus-name prefix.
        case invalidNamespace(NameError)
        /// `eavesdrop` is neither `true` nor `false`.
        case invalidEavesdrop
        /// `arg` is not followed by a number.
        case missingArgumentNumber
        /// The characters after `arg` are not a number (or overflow).
        case unparsableArgumentNumber
        /// After the argument number comes something other than `path` (or `namespace` for `arg0`).
        case junkAfterArgumentNumber
        /// The argument number is above the limit.
        case argumentNumberTooLarge(number: UInt64, limit: Int)
        /// The same argument is tested twice (`argN`, `argNpath` and `arg0namespace` share a slot).
        case argumentRepeated(index: Int)
    }

    public var reason: Reason
    /// The key involved, when the problem concerns one.
    public var key: String?
    /// The (unquoted) value involved, when the problem concerns one.
    public var value: String?
    /// Byte offset in the rule text where the offending key, value or character starts.
    public var position: Int

    public init(_ reason: Reason, key: String? = nil, value: String? = nil, position: Int) {
        self.reason = reason
        self.key = key
        self.value = value
        self.position = position
    }

    /// The D-Bus error name a broker answers `AddMatch` with, as dbus-daemon does: an over-long
    /// rule is a limit, everything else an invalid rule.
    public var dbusErrorName: String {
        if case .tooLong = reason { return "org.freedesktop.DBus.Error.LimitsExceeded" }
        return "org.freedesktop.DBus.Error.MatchRuleInvalid"
    }

    public var description: String {
        var text = "invalid match rule at byte \(position): \(explanation)"
        if let key { text += " (key '\(key)'" + (value.map { ", value '\($0)')" } ?? ")") }
        return text
    }

    private var explanation: String {
        switch reason {
        case .tooLong(let length, let limit): return "rule is \(length) bytes, the maximum is \(limit)"
        case .invalidUTF8: return "rule is not valid UTF-8"
        case .nulByte: return "rule contains a NUL byte"
        case .missingEquals: return "key is not followed by '='"
        case .missingKey: return "'=' without a key before it"
        case .unbalancedQuote: return "single quote is never closed"
        case .unknownKey: return "unknown key"
        case .duplicateKey: return "key is given twice"
        case .pathWithPathNamespace: return "'path' and 'path_namespace' cannot be used together"
        case .invalidMessageType: return "type must be 'signal', 'method_call', 'method_return' or 'error'"
        case .invalidName(let error): return error.description
        case .invalidNamespace(let error): return "not a valid prefix of a bus name: \(error.description)"
        case .invalidEavesdrop: return "eavesdrop must be 'true' or 'false'"
        case .missingArgumentNumber: return "'arg' needs a number, e.g. 'arg0' or 'arg7'"
        case .unparsableArgumentNumber: return "cannot read the argument number, e.g. 'arg0' or 'arg7'"
        case .junkAfterArgumentNumber: return "only 'argN', 'argNpath' and 'arg0namespace' are valid"
        case .argumentNumberTooLarge(let number, let limit): return "argument number \(number) is above the maximum \(limit)"
        case .argumentRepeated(let index): return "argument \(index) is matched more than once"
        }
    }
}
