// Slice Allocator: kdbus-style slices of a fixed region, allocated and freed by offset.

/// Hands out 8-aligned slices of a region of `capacity` bytes and takes them back by
/// offset, as kdbus's pool did (`kdbus_pool_slice_alloc` / `KDBUS_CMD_FREE`): a slice is
/// busy from allocation until its FREE; freeing merges it with free neighbours, so free
/// space is always maximal ranges.
///
/// Free ranges sit in segregated lists, one per power of two (list k holds lengths in
/// [2^k, 2^(k+1))), plus maps from each range's start and end for O(1) merging. A request
/// of n bytes takes any range from the first non-empty list at or above ⌈log2 n⌉ — every
/// range there fits — so allocation and free cost O(number of size classes) = O(log capacity),
/// independent of how many slices exist. Only when no such list has a range does it scan
/// the one list below, whose ranges may or may not fit; so `allocate` fails exactly when no
/// free range of n bytes exists anywhere ("full" is never reported while a fit remains).
struct SliceAllocator: ~Copyable {
    // Invariants: free ranges are disjoint, non-adjacent (merged), 8-aligned; each is in
    // `freeByStart`, `freeByEnd` and exactly one size list at `listIndex[start]`; busy
    // slices are in `busy`; free + busy bytes == capacity.
    let capacity: Int
    private var freeByStart = OffsetTable()
    private var freeByEnd = OffsetTable()
    private var lists: [[Int]] = Array(repeating: [], count: PoolLimits.sizeClasses)
    /// Bit k set when `lists[k]` is not empty: `findFit` finds its list with one instruction.
    private var nonEmptyLists: UInt64 = 0
    private var listIndex = OffsetTable()
    private var busy = OffsetTable()
    private(set) var freeBytes: Int

    init(capacity: Int, startingAt base: Int = 0) {
        precondition(capacity > 0 && capacity % PoolLimits.sliceAlignment == 0 && base % PoolLimits.sliceAlignment == 0)
        self.capacity = capacity
        freeBytes = capacity
        insertFree(start: base, length: capacity)
    }

    var busyCount: Int { busy.count }

    /// The length of the busy slice at `offset`, nil when none starts there.
    func busyLength(at offset: Int) -> Int? { busy[offset] }

    /// A slice of at least `length` bytes (rounded up to 8), or `.full`.
    mutating func allocate(_ length: Int) throws(PoolError) -> PoolSlice {
        guard length > 0 else { throw .invalidSize(length) }
        let rounded = (length + PoolLimits.sliceAlignment - 1) & ~(PoolLimits.sliceAlignment - 1)
        guard let start = findFit(rounded), let rangeLength = freeByStart[start] else {
            throw .full(requested: rounded, freeBytes: freeBytes, largestFree: largestFree)
        }
        if rangeLength > rounded {
            replaceFree(start: start, length: rangeLength, newStart: start + rounded, newLength: rangeLength - rounded)
        } else {
            removeFree(start: start, length: rangeLength)
        }
        busy[start] = rounded
        freeBytes -= rounded
        return PoolSlice(offset: start, length: rounded)
    }

    /// Returns the slice starting at `offset`; `offset` came from a peer, so an offset that
    /// is not a busy slice's start is an error, not a crash.
    @discardableResult
    mutating func free(offset: Int) throws(PoolError) -> Int {
        guard let length = busy.removeValue(forKey: offset) else { throw .unknownSlice(offset: offset) }
        freeBytes += length
        let after = offset + length
        let afterLength = freeByStart[after]
        if let before = freeByEnd[offset], let beforeLength = freeByStart[before] {
            if let afterLength { removeFree(start: after, length: afterLength) }
            replaceFree(start: before, length: beforeLength, newStart: before, newLength: beforeLength + length + (afterLength ?? 0))
        } else if let afterLength {
            replaceFree(start: after, length: afterLength, newStart: offset, newLength: length + afterLength)
        } else {
            insertFree(start: offset, length: length)
        }
        return length
    }

    /// The longest free range, for the "full" report (not on the fast path).
    var largestFree: Int {
        for list in lists.indices.reversed() where !lists[list].isEmpty {
            return lists[list].map { freeByStart[$0] ?? 0 }.max() ?? 0
        }
        return 0
    }

    private func findFit(_ length: Int) -> Int? {
        let ceilingClass = Self.sizeClass(length) + (length.nonzeroBitCount == 1 ? 0 : 1)
        let fitting = ceilingClass >= UInt64.bitWidth ? 0 : nonEmptyLists & ~((1 << UInt64(ceilingClass)) - 1)
        if fitting != 0 { return lists[fitting.trailingZeroBitCount].last }
        let floorClass = Self.sizeClass(length)
        return lists[floorClass].first { (freeByStart[$0] ?? 0) >= length }
    }

    private static func sizeClass(_ length: Int) -> Int { Int.bitWidth - 1 - length.leadingZeroBitCount }

    private mutating func insertFree(start: Int, length: Int) {
        freeByStart[start] = length
        freeByEnd[start + length] = start
        addToList(start, Self.sizeClass(length))
    }

    private mutating func removeFree(start: Int, length: Int) {
        freeByStart[start] = nil
        freeByEnd[start + length] = nil
        removeFromList(start, Self.sizeClass(length))
    }

    /// Turns the free range at `start` into the one at `newStart` that shares its start or
    /// its end (a split off the front, a merge with a neighbour). The common case of every
    /// allocation and free: the entry that stays is updated in place and a range that keeps
    /// its size class keeps its list slot, where removing and inserting touched each of the
    /// three tables and the list twice (callgrind: ~700 instructions per kdbus round trip).
    private mutating func replaceFree(start: Int, length: Int, newStart: Int, newLength: Int) {
        let end = start + length
        let newEnd = newStart + newLength
        if newStart != start { freeByStart[start] = nil }
        freeByStart[newStart] = newLength
        if newEnd != end { freeByEnd[end] = nil }
        freeByEnd[newEnd] = newStart
        let list = Self.sizeClass(length)
        let newList = Self.sizeClass(newLength)
        if list == newList {
            guard newStart != start else { return }
            guard let index = listIndex.removeValue(forKey: start) else { preconditionFailure("SliceAllocator: free range \(start) not listed") }
            lists[list][index] = newStart
            listIndex[newStart] = index
        } else {
            removeFromList(start, list)
            addToList(newStart, newList)
        }
    }

    private mutating func addToList(_ start: Int, _ list: Int) {
        listIndex[start] = lists[list].count
        lists[list].append(start)
        nonEmptyLists |= 1 << UInt64(list)
    }

    private mutating func removeFromList(_ start: Int, _ list: Int) {
        guard let index = listIndex.removeValue(forKey: start) else { preconditionFailure("SliceAllocator: free range \(start) not listed") }
        let last = lists[list].removeLast()
        if index < lists[list].count {
            lists[list][index] = last
            listIndex[last] = index
        } else if lists[list].isEmpty {
            nonEmptyLists &= ~(1 << UInt64(list))
        }
    }

    /// Checks every invariant; for tests.
    func checkInvariants() -> Bool {
        let ranges = freeByStart.pairs.sorted { $0.key < $1.key }
        for (index, range) in ranges.enumerated() {
            if freeByEnd[range.key + range.value] != range.key { return false }
            guard let position = listIndex[range.key], lists[Self.sizeClass(range.value)].indices.contains(position),
                  lists[Self.sizeClass(range.value)][position] == range.key else { return false }
            if index > 0, ranges[index - 1].key + ranges[index - 1].value >= range.key { return false }
        }
        let listed = lists.reduce(0) { $0 + $1.count }
        for list in lists.indices where lists[list].isEmpty == (nonEmptyLists & (1 << UInt64(list)) != 0) { return false }
        return listed == ranges.count && freeBytes + busy.pairs.reduce(0) { $0 + $1.value } == capacity
            && freeByStart.pairs.reduce(0) { $0 + $1.value } == freeBytes
    }
}
