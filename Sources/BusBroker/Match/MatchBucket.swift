// Match Bucket
/// The rules filed under one key, sorted by owner and then by rule, so a lookup can walk
/// several buckets side by side in owner order and hand each peer out once.
struct MatchBucket: Sendable {
    let key: MatchBucketKey
    private(set) var entries: [Entry] = []

    /// One filed rule: its owner and its slot in the index.
    struct Entry: Comparable, Sendable {
        let owner: PeerID
        let rule: Int

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.owner != rhs.owner ? lhs.owner < rhs.owner : lhs.rule < rhs.rule
        }
    }

    init(key: MatchBucketKey) { self.key = key }

    var isEmpty: Bool { entries.isEmpty }

    mutating func insert(_ entry: Entry) {
        entries.insert(entry, at: firstIndex(notBelow: entry))
    }

    /// Removes `entry`; false when it was not here.
    @discardableResult
    mutating func remove(_ entry: Entry) -> Bool {
        let index = firstIndex(notBelow: entry)
        guard index < entries.count, entries[index] == entry else { return false }
        entries.remove(at: index)
        return true
    }

    /// Binary search; peers usually subscribe in connection order, so most inserts land at the end.
    private func firstIndex(notBelow entry: Entry) -> Int {
        if let last = entries.last, last < entry { return entries.count }
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle] < entry { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
