// Installed Match Rule
import DBusWire

/// One rule as the index keeps it: the rule, its owner, what its sender and destination names
/// stand for now, and the bucket it is filed in.
struct InstalledMatchRule: Sendable {
    let rule: MatchRule
    let owner: PeerID
    var sender: MatchParty?
    var destination: MatchParty?
    /// Slot of its bucket; nil for a rule that can never match, which is kept only so that it
    /// counts against the limit and can be removed.
    var bucket: Int?
}

/// A rule together with its owner: identical rules of one peer are instances of one of these.
struct OwnedMatchRule: Hashable, Sendable {
    let owner: PeerID
    let rule: MatchRule
}
