// Match Index
import DBusWire

/// The broker's match rules, indexed so that routing one message costs the same whatever the
/// number of rules that cannot match it. The broker asks it, for every broadcast and every
/// addressed message, which other peers should receive a copy (`forEachRecipient`); `AddMatch`
/// and `RemoveMatch` edit it, and a disconnect clears a peer's rules.
///
/// Semantics are dbus-daemon 1.14's (bus/signals.c): a rule matches when every key matches;
/// `sender` and `destination` match when the sending or addressed peer is the *primary owner*
/// of the name the rule gives (unique or well-known; `org.freedesktop.DBus` is the driver); a
/// rule that does not eavesdrop sees only broadcasts (its owner receives what is addressed to
/// it without the rules being asked), so only `eavesdrop='true'` rules see a message addressed
/// to another peer, and a rule with `destination` but no eavesdrop never matches. Identical
/// rules added twice count twice and need two removals.
///
/// What the broker does with it: `add` and `remove` for `AddMatch` and `RemoveMatch`;
/// `removeAll(owner:)` when a peer disconnects; `nameOwnerChanged` for every change of a
/// well-known name's primary owner, before it routes the next message; `forEachRecipient` for
/// every message it routes, passing the recipient peer of an addressed message. Monitors
/// (`BecomeMonitor`) receive everything and are not rules; they are not kept here.
///
/// Sender names: rules are filed under the *party* their sender stands for now (`MatchParty`:
/// a peer, the driver, or an unowned name), so a message is looked up by its sender's
/// `PeerID` with no name resolution per message. The broker tells the index every change of
/// primary owner (`nameOwnerChanged`), and the rules naming that name are refiled then.
///
/// Cost model. Each rule is filed in exactly one bucket, keyed by its *shape* (which of type,
/// sender, destination, interface, member, path and arg0 it fixes, and whether it
/// eavesdrops) and the fingerprints of those values. A lookup:
///   1. reads and hashes the message's fields once: at most interface, member, path, the
///      destination and argument 0 (the body walk stops there), only those some rule needs;
///   2. probes one hash bucket per shape in use that the message is compatible with — at most
///      `MatchShape.maxCompatibleShapes` (128), in practice a handful, and independent of the
///      number of rules;
///   3. evaluates in full (`MatchRule.matches`) only the rules in the buckets found: rules that
///      agree with the message on every exact key they have. Rules that differ from it in an
///      exact key are never touched; rules that differ only in a prefix or argument test
///      (`path_namespace`, `argN` for N > 0, `argNpath`, `arg0namespace`) are evaluated.
///      Once one rule of a peer matches, its other rules are skipped.
/// The buckets are sorted by owner and merged, so each peer is reported once, in ascending
/// `PeerID` order, with cursors on the stack: a lookup allocates nothing. Adding or removing a
/// rule is a hash update plus an insertion into a sorted array; a change of a name's owner costs
/// one refiling per rule that names it.
public struct MatchIndex: Sendable {
    /// Rules one peer may have at once (dbus-daemon's `max_match_rules_per_connection`).
    public let maxMatchRulesPerPeer: Int

    /// Every installed rule, by slot; nil slots are free and listed in `freeRuleSlots`.
    var rules: [InstalledMatchRule?] = []
    var freeRuleSlots: [Int] = []
    /// Every bucket, by slot; free slots hold an empty bucket and are listed in `freeBucketSlots`.
    /// (Not optional, so a lookup reads a bucket's entries in place instead of copying its key.)
    var buckets: [MatchBucket] = []
    var freeBucketSlots: [Int] = []
    var bucketsByKey: [MatchBucketKey: Int] = [:]
    /// Buckets per shape, and the shapes with at least one, in ascending order.
    var bucketCountByShape = [Int](repeating: 0, count: MatchShape.count)
    private(set) var activeShapes: [MatchShape] = []
    /// The fields some active shape needs; a lookup hashes only these.
    private(set) var activeFields: MatchShape = []
    /// Slots of each peer's identical rules, newest last.
    var instances: [OwnedMatchRule: [Int]] = [:]
    var rulesByOwner: [PeerID: Set<Int>] = [:]
    /// The primary owner of every well-known name, as the broker reported it.
    var primaryOwners: [String: PeerID] = [:]
    /// Slots of the rules whose sender or destination is a given well-known name.
    var rulesByName: [String: Set<Int>] = [:]

    public init(maxMatchRulesPerPeer: Int = MatchLimits.sessionMaxRulesPerPeer) {
        self.maxMatchRulesPerPeer = maxMatchRulesPerPeer
    }

    /// Installs `rule` for `owner`; an identical rule already there is installed once more.
    public mutating func add(_ rule: MatchRule, owner: PeerID) throws(MatchIndexError) {
        guard ruleCount(owner: owner) < maxMatchRulesPerPeer else {
            throw .tooManyRules(peer: owner, limit: maxMatchRulesPerPeer)
        }
        let installed = InstalledMatchRule(
            rule: rule, owner: owner, sender: party(for: rule.sender), destination: party(for: rule.destination))
        let slot = store(installed)
        file(slot)
        instances[OwnedMatchRule(owner: owner, rule: rule), default: []].append(slot)
        rulesByOwner[owner, default: []].insert(slot)
        for name in Self.wellKnownNames(in: rule) { rulesByName[name, default: []].insert(slot) }
    }

    /// Removes one instance of `rule` from `owner`'s rules; false when it has none, which the
    /// driver answers with `MatchIndexError.ruleNotFound`.
    public mutating func remove(_ rule: MatchRule, owner: PeerID) -> Bool {
        let key = OwnedMatchRule(owner: owner, rule: rule)
        guard let slot = instances[key]?.popLast() else { return false }
        if instances[key]?.isEmpty == true { instances[key] = nil }
        rulesByOwner[owner]?.remove(slot)
        if rulesByOwner[owner]?.isEmpty == true { rulesByOwner[owner] = nil }
        discard(slot)
        return true
    }

    /// Removes every rule of `owner`, as when it disconnects.
    public mutating func removeAll(owner: PeerID) {
        guard let slots = rulesByOwner.removeValue(forKey: owner) else { return }
        for slot in slots {
            if let rule = rules[slot]?.rule { instances[OwnedMatchRule(owner: owner, rule: rule)] = nil }
            discard(slot)
        }
    }

    /// The number of rules `owner` has; every copy of an identical rule counts.
    public func ruleCount(owner: PeerID) -> Int { rulesByOwner[owner]?.count ?? 0 }

    /// The number of rules of all peers.
    public var totalRuleCount: Int { rules.count - freeRuleSlots.count }

    // MARK: - Slots

    private mutating func store(_ installed: InstalledMatchRule) -> Int {
        if let slot = freeRuleSlots.popLast() {
            rules[slot] = installed
            return slot
        }
        rules.append(installed)
        return rules.count - 1
    }

    /// Unfiles the rule in `slot` and frees the slot; the owner and instance maps are the caller's.
    private mutating func discard(_ slot: Int) {
        guard let installed = rules[slot] else { return }
        unfile(slot)
        for name in Self.wellKnownNames(in: installed.rule) {
            rulesByName[name]?.remove(slot)
            if rulesByName[name]?.isEmpty == true { rulesByName[name] = nil }
        }
        rules[slot] = nil
        freeRuleSlots.append(slot)
    }

    // MARK: - Filing

    /// Puts the rule in `slot` into the bucket its key names, creating the bucket if needed.
    mutating func file(_ slot: Int) {
        guard let installed = rules[slot],
              let key = MatchBucketKey(rule: installed.rule, sender: installed.sender, destination: installed.destination)
        else { return }
        let bucket = bucketsByKey[key] ?? makeBucket(key)
        buckets[bucket].insert(MatchBucket.Entry(owner: installed.owner, rule: slot))
        rules[slot]?.bucket = bucket
    }

    /// Takes the rule in `slot` out of its bucket, dropping the bucket when it empties.
    mutating func unfile(_ slot: Int) {
        guard let installed = rules[slot], let bucket = installed.bucket else { return }
        buckets[bucket].remove(MatchBucket.Entry(owner: installed.owner, rule: slot))
        rules[slot]?.bucket = nil
        if buckets[bucket].isEmpty { dropBucket(bucket) }
    }

    private mutating func makeBucket(_ key: MatchBucketKey) -> Int {
        let slot: Int
        if let free = freeBucketSlots.popLast() {
            slot = free
            buckets[slot] = MatchBucket(key: key)
        } else {
            slot = buckets.count
            buckets.append(MatchBucket(key: key))
        }
        bucketsByKey[key] = slot
        bucketCountByShape[Int(key.shape.rawValue)] += 1
        if bucketCountByShape[Int(key.shape.rawValue)] == 1 { shapesChanged() }
        return slot
    }

    private mutating func dropBucket(_ slot: Int) {
        let key = buckets[slot].key
        bucketsByKey[key] = nil
        buckets[slot] = MatchBucket(key: MatchBucketKey(shape: []))
        freeBucketSlots.append(slot)
        bucketCountByShape[Int(key.shape.rawValue)] -= 1
        if bucketCountByShape[Int(key.shape.rawValue)] == 0 { shapesChanged() }
    }

    private mutating func shapesChanged() {
        activeShapes = (0..<MatchShape.count).filter { bucketCountByShape[$0] > 0 }.map { MatchShape(rawValue: UInt8($0)) }
        activeFields = activeShapes.reduce(into: []) { $0.formUnion($1.fields) }
    }
}
