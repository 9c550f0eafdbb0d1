// Offset Table: an Int-to-Int hash map for the slice allocator's per-message bookkeeping.
/// Maps slice offsets (non-negative) to lengths or positions. The allocator looks offsets
/// up several times per message; `Dictionary` hashes each with seeded SipHash, which the
/// kdbus round-trip profile showed as ~7 000 instructions per round trip. Offsets are
/// 8-aligned integers chosen by us, not by a peer, so a multiplicative hash with linear
/// probing is safe here and costs a few instructions per look-up.
struct OffsetTable {
    // Invariants: `keys.count` is a power of two ≥ `minimumSlots`; an empty slot holds
    // `empty` (no real key is negative); `count` ≤ `keys.count` × maxLoad; every key sits in
    // the probe run starting at its home slot with no empty slot in between (kept on
    // removal by backward-shift deletion, so no tombstones).
    private static let empty = -1
    /// Slots of a new table.
    private static let minimumSlots = 16
    /// Grow when more than half the slots are used: short probe runs.
    private static let maxLoadNumerator = 1
    private static let maxLoadDenominator = 2
    private var keys = [Int](repeating: OffsetTable.empty, count: OffsetTable.minimumSlots)
    private var values = [Int](repeating: 0, count: OffsetTable.minimumSlots)
    private(set) var count = 0

    private var mask: Int { keys.count - 1 }

    private func home(_ key: Int) -> Int {
        // Fibonacci hashing of the offset; its low 3 bits are always zero, the multiply spreads the rest.
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private func slot(of key: Int) -> Int? {
        // A negative key (a peer's bogus offset) would match the empty marker.
        guard key >= 0 else { return nil }
        var index = home(key)
        while true {
            let found = keys[index]
            if found == key { return index }
            if found == Self.empty { return nil }
            index = (index + 1) & mask
        }
    }

    subscript(key: Int) -> Int? {
        get { slot(of: key).map { values[$0] } }
        set {
            if let newValue { insert(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    private mutating func insert(_ key: Int, _ value: Int) {
        precondition(key >= 0, "OffsetTable: negative key \(key)")
        if let index = slot(of: key) { values[index] = value; return }
        if (count + 1) * Self.maxLoadDenominator > keys.count * Self.maxLoadNumerator { grow() }
        var index = home(key)
        while keys[index] != Self.empty { index = (index + 1) & mask }
        keys[index] = key
        values[index] = value
        count += 1
    }

    @discardableResult
    mutating func removeValue(forKey key: Int) -> Int? {
        guard var hole = slot(of: key) else { return nil }
        let removed = values[hole]
        keys[hole] = Self.empty
        count -= 1
        // Backward shift: pull later members of the run into the hole when their home
        // slot does not lie (cyclically) between the hole and their position.
        var index = (hole + 1) & mask
        while keys[index] != Self.empty {
            let wanted = home(keys[index])
            let distanceFromHome = (index - wanted) & mask
            let distanceFromHole = (index - hole) & mask
            if distanceFromHome >= distanceFromHole {
                keys[hole] = keys[index]
                values[hole] = values[index]
                keys[index] = Self.empty
                hole = index
            }
            index = (index + 1) & mask
        }
        return removed
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = [Int](repeating: Self.empty, count: oldKeys.count * 2)
        values = [Int](repeating: 0, count: oldKeys.count * 2)
        count = 0
        for index in oldKeys.indices where oldKeys[index] != Self.empty { insert(oldKeys[index], oldValues[index]) }
    }

    /// Every (key, value) pair, in no order; for invariant checks, not the fast path.
    var pairs: [(key: Int, value: Int)] {
        keys.indices.filter { keys[$0] != Self.empty }.map { (key: keys[$0], value: values[$0]) }
    }
}
