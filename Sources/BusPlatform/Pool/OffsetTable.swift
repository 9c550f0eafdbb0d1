// Offset Table: an Int-to-Int hash map for the slice allocator's per-message bookkeeping.
/// Maps slice offsets (non-negative) to lengths or positions. The allocator looks offsets
/// up several times per message; `Dictionary` hashes each with seeded SipHash, which the
/// kdbus round-trip profile showed as ~7 000 instructions per round trip. Offsets are
/// 8-aligned integers chosen by us, not by a peer, so a multiplicative hash with linear
/// probing is safe here and costs a few instructions per look-up.
struct OffsetTable: ~Copyable {
    // Invariants: `entries` points to `capacity` initialised entries, owned (freed in
    // deinit); `capacity` is a power of two ≥ `minimumSlots`, and every index is masked by
    // `capacity - 1`, so no access leaves the buffer; an empty slot's key is `empty` (no real
    // key is negative); `count` ≤ `capacity` × maxLoad; every key sits in the probe run
    // starting at its home slot with no empty slot in between (kept on removal by
    // backward-shift deletion, so no tombstones). Raw storage rather than two arrays: the
    // arrays' uniqueness and bounds checks were most of each look-up's cost (callgrind:
    // ~2 300 instructions per kdbus round trip across the allocator's four tables).
    private struct Entry {
        var key: Int
        var value: Int
    }

    private static let empty = -1
    /// Slots of a new table.
    private static let minimumSlots = 16
    /// Grow when more than half the slots are used: short probe runs.
    private static let maxLoadNumerator = 1
    private static let maxLoadDenominator = 2
    private var entries: UnsafeMutablePointer<Entry>
    private var capacity: Int
    private(set) var count = 0

    init() {
        capacity = Self.minimumSlots
        entries = Self.emptyEntries(Self.minimumSlots)
    }

    deinit { entries.deallocate() }

    private static func emptyEntries(_ capacity: Int) -> UnsafeMutablePointer<Entry> {
        let buffer = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        buffer.initialize(repeating: Entry(key: empty, value: 0), count: capacity)
        return buffer
    }

    private var mask: Int { capacity - 1 }

    private func home(_ key: Int) -> Int {
        // Fibonacci hashing of the offset; its low 3 bits are always zero, the multiply spreads the rest.
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private func slot(of key: Int) -> Int? {
        // A negative key (a peer's bogus offset) would match the empty marker.
        guard key >= 0 else { return nil }
        var index = home(key)
        while true {
            let found = entries[index].key
            if found == key { return index }
            if found == Self.empty { return nil }
            index = (index + 1) & mask
        }
    }

    subscript(key: Int) -> Int? {
        get { slot(of: key).map { entries[$0].value } }
        set {
            if let newValue { insert(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    private mutating func insert(_ key: Int, _ value: Int) {
        precondition(key >= 0, "OffsetTable: negative key \(key)")
        // One probe for both outcomes: with no tombstones, the first empty slot of the run
        // means the key is absent, and it is where the key goes (unless the table grows).
        var index = home(key)
        while true {
            let found = entries[index].key
            if found == key { entries[index].value = value; return }
            if found == Self.empty { break }
            index = (index + 1) & mask
        }
        if (count + 1) * Self.maxLoadDenominator > capacity * Self.maxLoadNumerator {
            grow()
            index = home(key)
            while entries[index].key != Self.empty { index = (index + 1) & mask }
        }
        entries[index] = Entry(key: key, value: value)
        count += 1
    }

    @discardableResult
    mutating func removeValue(forKey key: Int) -> Int? {
        guard var hole = slot(of: key) else { return nil }
        let removed = entries[hole].value
        entries[hole].key = Self.empty
        count -= 1
        // Backward shift: pull later members of the run into the hole when their home
        // slot does not lie (cyclically) between the hole and their position.
        var index = (hole + 1) & mask
        while entries[index].key != Self.empty {
            let wanted = home(entries[index].key)
            let distanceFromHome = (index - wanted) & mask
            let distanceFromHole = (index - hole) & mask
            if distanceFromHome >= distanceFromHole {
                entries[hole] = entries[index]
                entries[index].key = Self.empty
                hole = index
            }
            index = (index + 1) & mask
        }
        return removed
    }

    private mutating func grow() {
        let old = entries
        let oldCapacity = capacity
        capacity = oldCapacity * 2
        entries = Self.emptyEntries(capacity)
        count = 0
        for index in 0..<oldCapacity where old[index].key != Self.empty { insert(old[index].key, old[index].value) }
        old.deallocate()
    }

    /// Every (key, value) pair, in no order; for invariant checks, not the fast path.
    var pairs: [(key: Int, value: Int)] {
        (0..<capacity).filter { entries[$0].key != Self.empty }.map { (key: entries[$0].key, value: entries[$0].value) }
    }
}
