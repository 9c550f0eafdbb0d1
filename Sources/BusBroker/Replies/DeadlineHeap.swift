// Deadline Heap
/// A binary min-heap of reply deadlines, earliest first; equal deadlines come out in the
/// order they went in (`sequence`), so expiry order is deterministic. Entries are never
/// removed from the middle: the tracker leaves answered calls in place and skips them when
/// they surface (lazy deletion), and rebuilds the heap when they pile up.
struct DeadlineHeap {
    struct Entry {
        let deadline: UInt64
        let sequence: UInt64
        let key: ReplyKey

        func precedes(_ other: Entry) -> Bool {
            (deadline, sequence) < (other.deadline, other.sequence)
        }
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }
    var first: Entry? { entries.first }

    /// O(n): replaces the contents and restores heap order bottom-up.
    init(_ unordered: [Entry] = []) {
        entries = unordered
        heapify()
    }

    /// O(n): drops the entries `isStale` picks and restores heap order.
    mutating func removeAll(where isStale: (Entry) -> Bool) {
        entries.removeAll(where: isStale)
        heapify()
    }

    /// O(log n).
    mutating func insert(_ entry: Entry) {
        entries.append(entry)
        siftUp(from: entries.count - 1)
    }

    /// O(log n): removes and returns the earliest entry.
    mutating func removeFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let earliest = entries.removeLast()
        if !entries.isEmpty { siftDown(from: 0) }
        return earliest
    }

    private mutating func heapify() {
        var index = entries.count / 2
        while index > 0 {
            index -= 1
            siftDown(from: index)
        }
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { return }
            let right = left + 1
            let child = right < entries.count && entries[right].precedes(entries[left]) ? right : left
            guard entries[child].precedes(entries[parent]) else { return }
            entries.swapAt(child, parent)
            parent = child
        }
    }
}
