// Match Rule Error Text
//
// dbus-daemon 1.14's wording for a match rule AddMatch or RemoveMatch cannot parse.
import DBusWire

extension DriverError {
    /// `AddMatch`/`RemoveMatch`'s error for `error`, worded as bus/signals.c
    /// `bus_match_rule_parse` words it (trailing newlines included), so that clients that
    /// show or compare the text see dbus-daemon's.
    static func matchRule(_ error: MatchRuleError) -> DriverError {
        DriverError(name: error.dbusErrorName, message: matchRuleText(error))
    }

    private static func matchRuleText(_ error: MatchRuleError) -> String {
        let key = error.key ?? ""
        let value = error.value ?? ""
        switch error.reason {
        case .tooLong(let length, let limit): return "Match rule text is \(length) bytes, maximum is \(limit)"
        case .unbalancedQuote: return "Unbalanced quotation marks in match rule"
        case .missingEquals: return "Match rule has a key with no subsequent '=' character"
        case .invalidMessageType: return "Invalid message type (\(value)) in match rule\n"
        case .duplicateKey where key == "path" || key == "path_namespace", .pathWithPathNamespace:
            return "path or path_namespace specified twice in match rule\n"
        case .duplicateKey: return "Key \(key) specified twice in match rule\n"
        case .invalidName:
            guard let what = invalidNameSubject[key] else { return error.description }
            return "\(what) '\(value)' is invalid\n"
        case .invalidNamespace: return "arg0namespace='\(value)' is not a valid prefix of a bus name"
        case .invalidEavesdrop: return "eavesdrop='\(value)' is invalid, it should be 'true' or 'false'\n"
        case .unknownKey: return "Unknown key \"\(key)\" in match rule"
        case .missingArgumentNumber:
            return "Key '\(key)' in match rule starts with 'arg' but lacks an arg number. Should be 'arg0' or 'arg7' for example.\n"
        case .unparsableArgumentNumber:
            return "Key '\(key)' in match rule starts with 'arg' but could not parse arg number. Should be 'arg0' or 'arg7' for example.\n"
        case .junkAfterArgumentNumber:
            let number = String(key.dropFirst(3).prefix { $0.isASCII && $0.isNumber })
            return "Key '\(key)' in match rule contains junk after argument number (\(number)). "
                + "Only 'arg\(number)path' (for example) or 'arg0namespace' are valid"
        case .argumentNumberTooLarge(let number, let limit):
            return "Key '\(key)' in match rule has arg number \(number) but the maximum is \(limit).\n"
        case .argumentRepeated(let index):
            // dbus-daemon formats the key where it means the number (a bug); the number is what it meant.
            return "Argument \(index) matched more than once in match rule\n"
        case .invalidUTF8, .nulByte, .missingKey: return error.description
        }
    }

    /// How dbus-daemon names the value of each key it validates as a name or path.
    private static let invalidNameSubject: [String: String] = [
        "sender": "Sender name", "interface": "Interface name", "member": "Member name",
        "path": "Path", "path_namespace": "Path", "destination": "Destination name",
    ]
}
