// Connect Rule
//
// A `user` / `group` rule: who may connect to the bus at all.

/// One `<allow|deny user=…|group=…>` from a default or mandatory policy, with its name
/// resolved. bus/policy.c `list_allows_user`.
struct ConnectRule: Sendable {
    enum Principal: Sendable {
        /// `user="*"` or `group="*"`.
        case anyone
        case user(UInt32)
        case group(UInt32)
    }

    let allow: Bool
    let principal: Principal

    func matches(uid: UInt32, groups: [UInt32]) -> Bool {
        switch principal {
        case .anyone: return true
        case .user(let user): return user == uid
        case .group(let group): return groups.contains(group)
        }
    }
}
