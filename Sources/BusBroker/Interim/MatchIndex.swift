// Match Index (interim)
//
// A stand-in for the real `MatchIndex` that another engineer is writing in Match/, with the
// same API, so the broker can be built and tested now. It keeps the rules per owner and
// evaluates them one by one: correct, but its cost grows with the number of rules. Delete
// this folder when Match/ lands.
import DBusWire

/// Why `MatchIndex.add` refused a rule.
public enum MatchIndexError: Error, Hashable, Sendable {
    /// The owner already has `limit` rules.
    case quotaExceeded(owner: PeerID, limit: Int)
}

/// The match rules of every peer, answering "who wants a copy of this message".
public struct MatchIndex {
    /// Rules per owner, in the order added; a rule added twice is kept twice, as dbus-daemon does.
    private var rules: [PeerID: [MatchRule]] = [:]
    /// Owners in a fixed order, so recipients are visited deterministically.
    private var owners: [PeerID] = []

    public init() {}

    public mutating func add(_ rule: MatchRule, owner: PeerID) throws(MatchIndexError) {
        if rules[owner] == nil { owners.append(owner) }
        rules[owner, default: []].append(rule)
    }

    public mutating func remove(_ rule: MatchRule, owner: PeerID) -> Bool {
        guard let index = rules[owner]?.lastIndex(of: rule) else { return false }
        rules[owner]?.remove(at: index)
        if rules[owner]?.isEmpty == true { removeAll(owner: owner) }
        return true
    }

    public mutating func removeAll(owner: PeerID) {
        guard rules.removeValue(forKey: owner) != nil else { return }
        owners.removeAll { $0 == owner }
    }

    /// Calls `body` once for every peer with at least one rule matching `message`.
    public func forEachRecipient(
        of message: some MatchableMessage, senderOwns: (String) -> Bool, destination: PeerID?,
        _ body: (PeerID) -> Void
    ) {
        for owner in owners {
            guard let list = rules[owner] else { continue }
            let matched = list.contains { rule in
                // An eavesdropping rule must not deliver a peer its own unicast twice.
                if rule.eavesdrop && destination == owner { return false }
                return rule.matches(
                    message, senderMatches: senderOwns,
                    destinationMatches: { name in destination.map { $0.uniqueName == name } ?? false })
            }
            if matched { body(owner) }
        }
    }
}
