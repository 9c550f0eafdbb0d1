/// Match Rule Key Assignment
///
/// What each key of a match rule accepts: the validation of its value and the duplicate checks,
/// in the order dbus-daemon 1.14 applies them.
extension MatchRuleReader {
    /// One parsed `key=value` pair with the offsets errors report.
    struct Pair {
        var key: String
        var value: String
        var keyStart: Int
        var valueStart: Int

        func error(_ reason: MatchRuleError.Reason, atKey: Bool = false) -> MatchRuleError {
            MatchRuleError(reason, key: key, value: value, position: atKey ? keyStart : valueStart)
        }
    }

    static func assign(_ pair: Pair, to rule: inout MatchRule) throws(MatchRuleError) {
        switch pair.key {
        case "type":
            try checkUnset(rule.type, pair)
            guard let type = MessageType(matchRuleName: pair.value) else { throw pair.error(.invalidMessageType) }
            rule.type = type
        case "sender": rule.sender = try busName(pair, current: rule.sender)
        case "destination": rule.destination = try busName(pair, current: rule.destination)
        case "interface": rule.interface = try name(pair, as: .interfaceName, current: rule.interface)
        case "member": rule.member = try name(pair, as: .memberName, current: rule.member)
        case "path", "path_namespace": try assignPath(pair, to: &rule)
        case "eavesdrop":
            // Repeating it is allowed so that a tool may append eavesdrop='false' to a rule that
            // already says 'true' (dbus-daemon's comment names dbus-monitor and bustle).
            switch pair.value {
            case "true": rule.eavesdrop = true
            case "false": rule.eavesdrop = false
            default: throw pair.error(.invalidEavesdrop)
            }
        default:
            guard pair.key.utf8.starts(with: "arg".utf8) else { throw pair.error(.unknownKey, atKey: true) }
            try assignArgument(pair, to: &rule)
        }
    }

    private static func checkUnset<T>(_ current: T?, _ pair: Pair) throws(MatchRuleError) {
        if current != nil { throw pair.error(.duplicateKey, atKey: true) }
    }

    private static func name(_ pair: Pair, as kind: NameKind, current: String?) throws(MatchRuleError) -> String {
        try checkUnset(current, pair)
        do throws(NameError) { try NameValidation.validate(pair.value, as: kind) } catch {
            throw pair.error(.invalidName(error))
        }
        return pair.value
    }

    /// Bus names as dbus-daemon checks them in rules: a unique name with a single element
    /// (`:1`) passes, though no bus ever assigns one. dbus-daemon 1.14.10 also takes a bare `:`
    /// and `:.1`; we reject those, since no connection can be named so.
    private static func busName(_ pair: Pair, current: String?) throws(MatchRuleError) -> String {
        try checkUnset(current, pair)
        do throws(NameError) { try NameValidation.validate(pair.value, as: .busName) } catch {
            let uniqueWithOneElement = error.rule == .tooFewElements && pair.value.utf8.first == UInt8(ascii: ":")
            if !uniqueWithOneElement { throw pair.error(.invalidName(error)) }
        }
        return pair.value
    }

    private static func assignPath(_ pair: Pair, to rule: inout MatchRule) throws(MatchRuleError) {
        let isNamespace = pair.key == "path_namespace"
        if (isNamespace ? rule.pathNamespace : rule.path) != nil { throw pair.error(.duplicateKey, atKey: true) }
        if (isNamespace ? rule.path : rule.pathNamespace) != nil {
            throw pair.error(.pathWithPathNamespace, atKey: true)
        }
        do throws(NameError) { try NameValidation.validate(pair.value, as: .objectPath) } catch {
            throw pair.error(.invalidName(error))
        }
        if isNamespace { rule.pathNamespace = pair.value } else { rule.path = pair.value }
    }

    private static func assignArgument(_ pair: Pair, to rule: inout MatchRule) throws(MatchRuleError) {
        let key = ArgumentKey(pair.key)
        let (number, kind): (UInt64, ArgumentKey.Kind)
        switch key.parse() {
        case .argument(let parsedNumber, let parsedKind): (number, kind) = (parsedNumber, parsedKind)
        case .invalid(let reason): throw pair.error(reason, atKey: true)
        }
        if kind == .namespace { try validateNamespace(pair) }
        guard number <= UInt64(MatchRuleLimits.maxArgumentIndex) else {
            throw pair.error(.argumentNumberTooLarge(number: number, limit: MatchRuleLimits.maxArgumentIndex), atKey: true)
        }
        let index = Int(number)
        if rule.arguments[index] != nil || rule.argumentPaths[index] != nil || (index == 0 && rule.arg0Namespace != nil) {
            throw pair.error(.argumentRepeated(index: index), atKey: true)
        }
        switch kind {
        case .string: rule.arguments[index] = pair.value
        case .path: rule.argumentPaths[index] = pair.value
        case .namespace: rule.arg0Namespace = pair.value
        }
    }

    /// A bus name that may have a single element: `com`, `com.example`, `:1`.
    private static func validateNamespace(_ pair: Pair) throws(MatchRuleError) {
        do throws(NameError) { try NameValidation.validate(pair.value, as: .busName) } catch {
            // The element count is checked last, so this error means every other rule held.
            if error.rule != .tooFewElements { throw pair.error(.invalidNamespace(error)) }
        }
    }
}

extension MessageType {
    /// The spelling of the type in a match rule's `type=` key.
    var matchRuleName: String {
        switch self {
        case .methodCall: return "method_call"
        case .methodReturn: return "method_return"
        case .error: return "error"
        case .signal: return "signal"
        }
    }

    init?(matchRuleName: String) {
        guard let type = MessageType.allCases.first(where: { $0.matchRuleName == matchRuleName }) else { return nil }
        self = type
    }
}
