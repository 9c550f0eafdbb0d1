// Timer Queue: deadlines on CLOCK_MONOTONIC in a min-heap.

/// A timer scheduled on an `EventLoop`, for cancelling it. The generation makes the
/// handle of a timer that has fired or been cancelled harmless once its slot is reused.
public struct TimerID: Hashable, Sendable {
    let slot: UInt32
    let generation: UInt32
}

/// The loop's timers: a binary min-heap ordered by deadline, then by the order they
/// were added, so timers due at the same instant fire first-come first-served. The
/// earliest deadline sets `epoll_wait`'s timeout; a timerfd per timer would cost a
/// descriptor and a system call each. Cancelling is O(1): the action is dropped and the
/// stale heap entry skipped when it surfaces. Once the arrays have grown to the number
/// of live timers, adding, firing and cancelling allocate nothing.
struct TimerQueue {
    typealias Action = (EventLoop) -> Void

    private struct Entry {
        var deadline: MonotonicInstant
        var sequence: UInt64
        var slot: UInt32
        var generation: UInt32

        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private struct Slot {
        var action: Action?
        var generation: UInt32 = 0
    }

    private var heap: [Entry] = []
    private var slots: [Slot] = []
    private var freeSlots: [UInt32] = []
    private var nextSequence: UInt64 = 0

    /// The sequence number the next timer will get; timers added from now on are "newer".
    var currentSequence: UInt64 { nextSequence }

    mutating func add(at deadline: MonotonicInstant, _ action: @escaping Action) -> TimerID {
        let slot: UInt32
        if let reused = freeSlots.popLast() {
            slot = reused
        } else {
            slot = UInt32(slots.count)
            slots.append(Slot())
        }
        slots[Int(slot)].action = action
        let generation = slots[Int(slot)].generation
        push(Entry(deadline: deadline, sequence: nextSequence, slot: slot, generation: generation))
        nextSequence += 1
        return TimerID(slot: slot, generation: generation)
    }

    /// Cancels a pending timer; false if it already fired or was cancelled.
    mutating func cancel(_ id: TimerID) -> Bool {
        guard Int(id.slot) < slots.count, slots[Int(id.slot)].generation == id.generation,
            slots[Int(id.slot)].action != nil
        else { return false }
        release(id.slot)
        return true
    }

    /// The earliest live deadline, dropping cancelled entries from the top.
    mutating func earliestDeadline() -> MonotonicInstant? {
        while let top = heap.first {
            if isLive(top) { return top.deadline }
            _ = popTop()
        }
        return nil
    }

    /// Removes and returns the earliest timer's action if it is due at `now` and was
    /// added before `sequenceLimit` (a timer that re-arms itself for "now" waits for the
    /// next turn instead of starving the loop).
    mutating func popDue(at now: MonotonicInstant, addedBefore sequenceLimit: UInt64) -> Action? {
        while let top = heap.first {
            guard isLive(top) else {
                _ = popTop()
                continue
            }
            guard top.deadline <= now, top.sequence < sequenceLimit else { return nil }
            _ = popTop()
            let action = slots[Int(top.slot)].action
            release(top.slot)
            return action
        }
        return nil
    }

    private func isLive(_ entry: Entry) -> Bool {
        slots[Int(entry.slot)].generation == entry.generation && slots[Int(entry.slot)].action != nil
    }

    private mutating func release(_ slot: UInt32) {
        slots[Int(slot)].action = nil
        slots[Int(slot)].generation &+= 1
        freeSlots.append(slot)
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
            if smallest == parent { return top }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
