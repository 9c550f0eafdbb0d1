// Match Bucket Key
import DBusWire

/// Where a rule is filed: its shape and, for each field of the shape, the value a message must
/// have there. Fields outside the shape stay zero or nil, so rules that agree on their exact
/// keys share one key. Strings are held as fingerprints, so building the key of a message
/// allocates nothing and hashing it costs the same for any name length.
struct MatchBucketKey: Hashable, Sendable {
    var shape: MatchShape
    var type: UInt8 = 0
    var sender: MatchParty?
    var destination: MatchParty?
    var interface: UInt64 = 0
    var member: UInt64 = 0
    var path: UInt64 = 0
    var arg0: UInt64 = 0

    init(shape: MatchShape) { self.shape = shape }

    /// The key of `rule` whose sender and destination names stand for `sender` and
    /// `destination` now; nil for a rule that can never match: one with a destination that does
    /// not eavesdrop (dbus-daemon delivers a message to its recipient without asking its rules,
    /// and no broadcast has a destination).
    init?(rule: MatchRule, sender: MatchParty?, destination: MatchParty?) {
        if rule.destination != nil && !rule.eavesdrop { return nil }
        self.init(shape: rule.eavesdrop ? .eavesdrop : [])
        if let type = rule.type { shape.insert(.type); self.type = type.rawValue }
        if let sender { shape.insert(.sender); self.sender = sender }
        if let destination { shape.insert(.destination); self.destination = destination }
        if let value = rule.interface { shape.insert(.interface); interface = MatchFingerprint.of(value) }
        if let value = rule.member { shape.insert(.member); member = MatchFingerprint.of(value) }
        if let value = rule.path { shape.insert(.path); path = MatchFingerprint.of(value) }
        if let value = rule.arguments[0] { shape.insert(.arg0); arg0 = MatchFingerprint.of(value) }
    }

    /// Three words into the hasher instead of every field: the fingerprints are already
    /// hashes, so folding them with rotations loses nothing a probe needs (`==` compares all).
    func hash(into hasher: inout Hasher) {
        let tags = UInt64(shape.rawValue) | UInt64(type) << 8 | UInt64(MatchParty.tag(sender)) << 16
            | UInt64(MatchParty.tag(destination)) << 24
        hasher.combine(tags)
        hasher.combine(MatchParty.bits(sender) ^ MatchParty.bits(destination).rotated(by: 32))
        hasher.combine(interface ^ member.rotated(by: 16) ^ path.rotated(by: 32) ^ arg0.rotated(by: 48))
    }
}

extension UInt64 {
    fileprivate func rotated(by count: UInt64) -> UInt64 { self << count | self >> (64 - count) }
}
