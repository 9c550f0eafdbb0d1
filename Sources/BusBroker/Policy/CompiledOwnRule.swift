// Compiled Own Rule
//
// An `own` / `own_prefix` rule, matched against the name a peer asks for.

/// One ownership rule: bus/policy.c `bus_rules_check_can_own`. `own="*"` matches every
/// name; `own_prefix="a.b"` matches `a.b` and the names below it.
struct CompiledOwnRule: Sendable {
    let allow: Bool
    let name: CompiledNameMatch

    /// `own="*"`: dbus-daemon drops every earlier own rule when it meets one
    /// (`own_prefix` never does, since it always names something).
    var discardsEarlierRules: Bool { name.isAny }

    @inline(__always)
    func matches(_ requested: UnsafeRawBufferPointer, _ strings: PolicyStringView) -> Bool {
        switch name {
        case .any: return true
        case .exactly(let exact): return exact.equals(requested, in: strings.bytes)
        case .prefix(let prefix): return PolicyWords.isWordPrefix(prefix.bytes(in: strings.bytes), of: requested)
        }
    }
}
