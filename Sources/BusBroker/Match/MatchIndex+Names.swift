// Match Index: name owners
import DBusWire

extension MatchIndex {
    /// Records that `name` now has `newOwner` as primary owner (nil: nobody), and refiles the
    /// rules whose sender or destination is that name. The broker calls this for every
    /// `NameOwnerChanged` it emits, before it routes the next message; unique names and the
    /// driver's name need no call (they are resolved without the table) and are ignored.
    public mutating func nameOwnerChanged(_ name: String, newOwner: PeerID?) {
        guard Self.isWellKnown(name) else { return }
        primaryOwners[name] = newOwner
        guard let slots = rulesByName[name] else { return }
        for slot in slots.sorted() {
            guard let rule = rules[slot]?.rule else { continue }
            unfile(slot)
            let sender = party(for: rule.sender)
            let destination = party(for: rule.destination)
            rules[slot]?.sender = sender
            rules[slot]?.destination = destination
            file(slot)
        }
    }

    /// The same, from the registry's own record of the change.
    public mutating func nameOwnerChanged(_ change: NameOwnerChange) {
        nameOwnerChanged(change.name, newOwner: change.newOwner)
    }

    /// The party a rule's sender or destination name stands for now.
    func party(for name: String?) -> MatchParty? {
        guard let name else { return nil }
        if name.utf8.elementsEqual(MatchLimits.busName.utf8) { return .busDriver }
        if name.utf8.first == UInt8(ascii: ":") {
            return PeerID(uniqueName: name).map { .peer($0) } ?? .unownedName(fingerprint: MatchFingerprint.of(name))
        }
        return primaryOwners[name].map { .peer($0) } ?? .unownedName(fingerprint: MatchFingerprint.of(name))
    }

    /// The names in `rule` whose owner can change.
    static func wellKnownNames(in rule: MatchRule) -> [String] {
        [rule.sender, rule.destination].compactMap { $0 }.filter(isWellKnown)
    }

    static func isWellKnown(_ name: String) -> Bool {
        name.utf8.first != UInt8(ascii: ":") && !name.utf8.elementsEqual(MatchLimits.busName.utf8)
    }
}
