/// Match Rule Equality
///
/// Two rules are equal when every key is present in both with the same bytes, as dbus-daemon's
/// `match_rule_equal` compares them with `strcmp` (it decides which rule `RemoveMatch` removes).
/// `String`'s own `==` would also equate canonically equivalent spellings (`é` and `e` + U+0301),
/// which match different messages.
extension MatchRule: Hashable {
    public static func == (lhs: MatchRule, rhs: MatchRule) -> Bool {
        lhs.type == rhs.type && lhs.eavesdrop == rhs.eavesdrop
            && sameBytes(lhs.sender, rhs.sender) && sameBytes(lhs.interface, rhs.interface)
            && sameBytes(lhs.member, rhs.member) && sameBytes(lhs.path, rhs.path)
            && sameBytes(lhs.pathNamespace, rhs.pathNamespace) && sameBytes(lhs.destination, rhs.destination)
            && sameBytes(lhs.arg0Namespace, rhs.arg0Namespace)
            && sameBytes(lhs.arguments, rhs.arguments) && sameBytes(lhs.argumentPaths, rhs.argumentPaths)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(eavesdrop)
        for value in [sender, interface, member, path, pathNamespace, destination, arg0Namespace] {
            Self.hashBytes(value, into: &hasher)
        }
        // Dictionary order is arbitrary, so arguments are hashed in index order.
        for dictionary in [arguments, argumentPaths] {
            hasher.combine(dictionary.count)
            for index in dictionary.keys.sorted() {
                hasher.combine(index)
                Self.hashBytes(dictionary[index], into: &hasher)
            }
        }
    }

    private static func sameBytes(_ lhs: String?, _ rhs: String?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): return true
        case (let lhs?, let rhs?): return lhs.utf8.elementsEqual(rhs.utf8)
        default: return false
        }
    }

    private static func sameBytes(_ lhs: [Int: String], _ rhs: [Int: String]) -> Bool {
        lhs.count == rhs.count && lhs.allSatisfy { sameBytes($0.value, rhs[$0.key]) }
    }

    private static func hashBytes(_ value: String?, into hasher: inout Hasher) {
        guard let value else { return hasher.combine(0 as UInt8) }
        hasher.combine(1 as UInt8)
        hasher.combine(value.utf8.count)
        for byte in value.utf8 { hasher.combine(byte) }
    }
}
