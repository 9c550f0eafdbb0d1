// Match Index: lookup
import DBusWire

extension MatchIndex {
    /// Calls `body` once for each peer, other than the addressed recipient, that has a rule
    /// matching `message`, in ascending `PeerID` order. `sender` is the sending peer, nil when
    /// the bus driver sends. `destination` is the recipient peer of an addressed message; pass
    /// nil for a broadcast, and for a message addressed to the driver or to a name waiting for
    /// activation (then rules compare their destination with the message's text, as dbus-daemon
    /// does). The recipient is left out because the broker delivers to it anyway.
    ///
    /// Allocates nothing; see the type's cost model.
    public func forEachRecipient(
        of message: some MatchableMessage, sender: PeerID?, destination: PeerID?, _ body: (PeerID) -> Void
    ) {
        var statistics = MatchLookupStatistics()
        forEachRecipient(of: message, sender: sender, destination: destination, statistics: &statistics, body)
    }

    /// The lookup, counting its work into `statistics`.
    func forEachRecipient(
        of message: some MatchableMessage, sender: PeerID?, destination: PeerID?,
        statistics: inout MatchLookupStatistics, _ body: (PeerID) -> Void
    ) {
        if activeShapes.isEmpty { return }
        let keys = MatchMessageKeys(message, sender: sender, destination: destination, needed: activeFields)
        // 128 cursors of 8 bytes: within the size the standard library always takes from the stack.
        withUnsafeTemporaryAllocation(of: MatchCursor.self, capacity: MatchShape.maxCompatibleShapes) { cursors in
            var count = 0
            // Index loops: in debug builds `for-in` over an array called malloc once per element
            // (measured with the uprobe counter of the allocation test); index loops do not.
            for position in activeShapes.indices {
                guard let key = keys.key(for: activeShapes[position]) else { continue }
                statistics.bucketsProbed += 1
                guard let bucket = bucketsByKey[key] else { continue }
                statistics.bucketsFound += 1
                // At most half the shapes fit a message (see `MatchShape`), so this cannot overflow.
                precondition(count < cursors.count, "more compatible shapes than MatchShape.maxCompatibleShapes")
                cursors.initializeElement(at: count, to: MatchCursor(bucket: Int32(bucket), position: 0))
                count += 1
            }
            let found = UnsafeMutableBufferPointer(rebasing: cursors[0..<count])
            merge(found, message: message, keys: keys, recipient: destination, statistics: &statistics, body)
        }
    }

    /// Walks the found buckets side by side in owner order: the lowest owner under any cursor
    /// is next; its rules are evaluated until one matches, and every cursor moves past it.
    private func merge(
        _ cursors: UnsafeMutableBufferPointer<MatchCursor>, message: some MatchableMessage, keys: MatchMessageKeys,
        recipient: PeerID?, statistics: inout MatchLookupStatistics, _ body: (PeerID) -> Void
    ) {
        while let peer = lowestOwner(under: cursors) {
            // The addressed recipient gets the message anyway; its rules are not asked.
            var matched = false
            var decided = peer == recipient
            for index in cursors.indices {
                let bucket = Int(cursors[index].bucket)
                let entries = buckets[bucket].entries
                var position = Int(cursors[index].position)
                while position < entries.count, entries[position].owner == peer {
                    if !decided {
                        statistics.candidatesEvaluated += 1
                        matched = evaluate(entries[position].rule, message, keys)
                        decided = matched
                    }
                    position += 1
                }
                cursors[index].position = Int32(position)
            }
            if matched { body(peer) }
        }
    }

    private func lowestOwner(under cursors: UnsafeMutableBufferPointer<MatchCursor>) -> PeerID? {
        var lowest: PeerID?
        for index in cursors.indices {
            let cursor = cursors[index]
            let entries = buckets[Int(cursor.bucket)].entries
            guard Int(cursor.position) < entries.count else { continue }
            let owner = entries[Int(cursor.position)].owner
            if lowest.map({ owner < $0 }) ?? true { lowest = owner }
        }
        return lowest
    }

    /// The full test, with the sender and destination names answered by the parties they were
    /// resolved to when the rule was filed or last refiled. A destination nobody owns is known
    /// only by its fingerprint, so there the rule's text is compared with the message's too.
    private func evaluate(_ slot: Int, _ message: some MatchableMessage, _ keys: MatchMessageKeys) -> Bool {
        // Fields are read where the rule is stored: copying the whole rule would retain each string.
        let sender = rules[slot]?.sender
        let destination = rules[slot]?.destination
        let matched = rules[slot]?.rule.matches(
            message,
            senderMatches: { _ in sender == keys.sender },
            destinationMatches: { ruleDestination in
                guard destination == keys.destination else { return false }
                guard case .unownedName = keys.destination else { return true }
                return message.withHeaderString(.destination) { bytes in
                    bytes.map { MatchParty.equal(ruleDestination, $0) } ?? false
                }
            })
        return matched ?? false
    }
}

/// A lookup's place in one bucket: the bucket's slot and the next entry to look at. Two 32-bit
/// fields keep 128 of them within 1 KiB of stack.
struct MatchCursor {
    var bucket: Int32
    var position: Int32
}
