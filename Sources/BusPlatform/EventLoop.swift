// Event Loop: one thread, one epoll instance, level-triggered, with timers and wake-ups.
import CSwiftBusShims
import Glibc

/// The broker's single-threaded dispatcher, in dbus-broker's shape: one epoll instance
/// that every socket, the wake-up eventfd and the signalfd are registered with, and a
/// heap of timers whose earliest deadline bounds each `epoll_wait`.
///
/// Readiness is level-triggered (see `IOEventHandler`); enable `.writable` interest only
/// while a peer has output queued, and drop it when the queue drains. Deregister a
/// descriptor before closing it. Everything here runs on the thread that calls `run`;
/// other threads reach the loop only through its `waker`.
///
/// One turn of `run` allocates nothing: the event buffer is allocated once, handlers are
/// called through a protocol, timer and posted-work storage is reused. (Measured in a
/// release build by counting `swift_allocObject` calls: 0 in 10 000 turns that each
/// dispatched a socket event, fired a timer and ran posted work.)
public final class EventLoop {
    private struct Slot {
        var handler: (any IOEventHandler)?
        var generation: UInt32 = 0
        /// The registered number, lent by its owner, who deregisters before closing it.
        var descriptor: CInt = -1
    }

    private let epoll: FileDescriptor
    /// Other threads' way in: post work, or stop the loop.
    public let waker: LoopWaker
    // The loop's state is touched only on its own thread (see above), several times per
    // turn; the runtime's exclusivity check on each access was ~2% of the broker's
    // instructions per message, so it is off for these (compile-time checks stay).
    @exclusivity(unchecked) private var slots: [Slot] = []
    @exclusivity(unchecked) private var freeSlots: [UInt32] = []
    @exclusivity(unchecked) private var timers = TimerQueue()
    @exclusivity(unchecked) private var postedWork: [LoopWaker.Work] = []
    private var signalWatcher: SignalWatcher?
    /// Polling before each blocking wait (`BusyPoll`); off unless the owner turns it on.
    @exclusivity(unchecked) public var busyPoll = BusyPoll.off
    @exclusivity(unchecked) private var stopRequested = false
    // Invariant: allocated in init with `eventBatchSize` entries, freed in deinit, used
    // only inside `runOnce` on the loop's thread.
    private let events: UnsafeMutableBufferPointer<epoll_event>

    /// Tokens for the loop's own descriptors, outside the range a slot token can take
    /// (a slot's generation never reaches UInt32.max before wrapping, see `release`).
    private static let wakeToken = UInt64.max
    private static let signalToken = UInt64.max - 1

    public init() throws(Errno) {
        epoll = FileDescriptor(owning: try systemCall { epoll_create1(CInt(EPOLL_CLOEXEC)) })
        waker = try LoopWaker()
        events = .allocate(capacity: PlatformLimits.eventBatchSize)
        try control(EPOLL_CTL_ADD, waker.eventDescriptor.rawValue, mask: EPOLLIN.rawValue, token: Self.wakeToken)
    }

    deinit { events.deallocate() }

    // MARK: Descriptors

    /// Starts watching `descriptor` for `interest`; `handler` is called on this thread
    /// with what it is ready for. The loop does not own the descriptor or close it.
    public func register(
        _ descriptor: borrowing FileDescriptor, interest: IOEvents, handler: any IOEventHandler
    ) throws(Errno) -> IORegistration {
        let slot = freeSlots.popLast() ?? appendSlot()
        let registration = IORegistration(slot: slot, generation: slots[Int(slot)].generation)
        do {
            try control(EPOLL_CTL_ADD, descriptor.rawValue, mask: interest.epollMask, token: registration.token)
        } catch {
            freeSlots.append(slot)
            throw error
        }
        slots[Int(slot)].handler = handler
        slots[Int(slot)].descriptor = descriptor.rawValue
        return registration
    }

    private func appendSlot() -> UInt32 {
        slots.append(Slot())
        return UInt32(slots.count - 1)
    }

    /// Changes what the descriptor is watched for: typically adding `.writable` while
    /// output is queued and removing it once the queue has drained.
    public func setInterest(_ interest: IOEvents, for registration: IORegistration) throws(Errno) {
        guard isCurrent(registration) else { throw .badDescriptor }
        let raw = slots[Int(registration.slot)].descriptor
        try control(EPOLL_CTL_MOD, raw, mask: interest.epollMask, token: registration.token)
    }

    /// Stops watching the descriptor; call it before closing the descriptor. Events
    /// already collected for it in this turn are dropped, so a handler may deregister
    /// itself or another peer from inside a callback. A descriptor already closed
    /// (EBADF) has left epoll by itself and is released without error.
    public func deregister(_ registration: IORegistration) throws(Errno) {
        guard isCurrent(registration) else { throw .badDescriptor }
        do {
            try control(EPOLL_CTL_DEL, slots[Int(registration.slot)].descriptor, mask: 0, token: 0)
        } catch {
            guard error == .badDescriptor else { throw error }
        }
        release(registration.slot)
    }

    private func release(_ slot: UInt32) {
        slots[Int(slot)].handler = nil
        slots[Int(slot)].descriptor = -1
        // Skip UInt32.max so a slot token can never equal the loop's own tokens.
        let next = slots[Int(slot)].generation &+ 1
        slots[Int(slot)].generation = next == .max ? 0 : next
        freeSlots.append(slot)
    }

    private func isCurrent(_ registration: IORegistration) -> Bool {
        Int(registration.slot) < slots.count && slots[Int(registration.slot)].generation == registration.generation
            && slots[Int(registration.slot)].handler != nil
    }

    private func control(_ operation: CInt, _ raw: CInt, mask: UInt32, token: UInt64) throws(Errno) {
        var event = epoll_event(events: mask, data: epoll_data_t(u64: token))
        _ = try systemCall { epoll_ctl(epoll.rawValue, operation, raw, &event) }
    }

    // MARK: Timers

    /// Calls `action` on this thread once `deadline` has passed. Timers fire in deadline
    /// order, ties in the order they were added.
    @discardableResult
    public func addTimer(at deadline: MonotonicInstant, _ action: @escaping (EventLoop) -> Void) -> TimerID {
        timers.add(at: deadline, action)
    }

    /// Calls `action` once `delay` has elapsed.
    @discardableResult
    public func addTimer(after delay: Duration, _ action: @escaping (EventLoop) -> Void) -> TimerID {
        addTimer(at: MonotonicInstant.now().advanced(by: delay), action)
    }

    /// Cancels a timer; returns false if it has already fired or been cancelled.
    @discardableResult
    public func cancelTimer(_ timer: TimerID) -> Bool {
        timers.cancel(timer)
    }

    // MARK: Signals

    /// Blocks `signals` in the calling thread and delivers them to `handler` as loop
    /// events. Call it on the loop's thread before other threads start. Once per loop.
    public func watchSignals(_ signals: [CInt], handler: @escaping (CInt, EventLoop) -> Void) throws(Errno) {
        precondition(signalWatcher == nil, "EventLoop.watchSignals may be called once")
        let watcher = try SignalWatcher(signals: signals, handler: handler)
        try control(EPOLL_CTL_ADD, watcher.descriptor.rawValue, mask: EPOLLIN.rawValue, token: Self.signalToken)
        signalWatcher = watcher
    }

    // MARK: Running

    /// Returns from `run` at the end of the current turn; for use on the loop's thread
    /// (other threads use `waker.stop()`).
    public func stop() { stopRequested = true }

    /// Dispatches events, timers and posted work until `stop` is called.
    public func run() throws(Errno) {
        defer {
            stopRequested = false
            waker.stopRequested.store(false, ordering: .relaxed)
        }
        while !stopRequested && !waker.stopRequested.load(ordering: .acquiring) {
            try runOnce()
        }
    }

    /// One turn: wait for readiness up to the earliest timer (or `maximumWait`, or
    /// forever), dispatch what is ready, then fire due timers.
    public func runOnce(maximumWait: Duration? = nil) throws(Errno) {
        var ready = busyPoll.budget > 0 ? try poll(for: busyPoll.budget) : 0
        if ready > 0 {
            busyPoll.afterCatch()
        } else {
            let timeout = timeout(maximumWait: maximumWait)
            guard busyPoll.maximum > 0 else { return try dispatch(waitForEvents(timeoutMilliseconds: timeout)) }
            let before = MonotonicInstant.now().nanoseconds
            ready = try waitForEvents(timeoutMilliseconds: timeout)
            busyPoll.afterSleep(MonotonicInstant.now().nanoseconds - before, woke: ready > 0)
        }
        dispatch(ready)
    }

    /// Dispatches the first `ready` events, then fires due timers.
    private func dispatch(_ ready: Int) {
        for index in 0..<ready { dispatch(events[index]) }
        fireDueTimers()
    }

    /// Non-blocking waits for up to `nanoseconds`, yielding the CPU between them so a peer
    /// woken onto this CPU runs at once; the number of events, 0 when none came. The yield is
    /// why polling pays on one CPU too (a process pinned, a one-CPU machine): the peers run
    /// in the loop's yields, and their answer is caught without the loop's sleep and
    /// wake-up. Timers wait for the blocking wait that follows: at most one budget
    /// (≤ `BusyPoll.maximum`) late, against timeouts of milliseconds.
    private func poll(for nanoseconds: UInt64) throws(Errno) -> Int {
        let end = MonotonicInstant.now().nanoseconds + nanoseconds
        while true {
            let ready = try waitForEvents(timeoutMilliseconds: 0)
            if ready > 0 || MonotonicInstant.now().nanoseconds >= end { return ready }
            sched_yield()
        }
    }

    private func waitForEvents(timeoutMilliseconds: CInt) throws(Errno) -> Int {
        do {
            return Int(try systemCall {
                epoll_wait(epoll.rawValue, events.baseAddress, CInt(events.count), timeoutMilliseconds)
            })
        } catch where error == .interrupted {
            return 0
        }
    }

    /// Milliseconds until the earliest deadline, rounded up so a timer never fires early;
    /// -1 (wait for ever) with no timers and no `maximumWait`.
    private func timeout(maximumWait: Duration?) -> CInt {
        // Whole nanoseconds, not `Duration` arithmetic: its 128-bit multiplies cost ~600
        // instructions per turn (callgrind), and a broker with a pending call always has a timer.
        var limit: UInt64? = maximumWait.map { UInt64(clamping: max($0.wholeNanoseconds, 0)) }
        if let deadline = timers.earliestDeadline() {
            let now = MonotonicInstant.now().nanoseconds
            let untilDeadline = deadline.nanoseconds > now ? deadline.nanoseconds - now : 0
            limit = limit.map { min($0, untilDeadline) } ?? untilDeadline
        }
        guard let limit else { return -1 }
        return CInt(clamping: limit / 1_000_000 + (limit % 1_000_000 == 0 ? 0 : 1))
    }

    private func dispatch(_ event: epoll_event) {
        let token = event.data.u64
        switch token {
        case Self.wakeToken:
            waker.acknowledge()
            runPostedWork()
        case Self.signalToken:
            signalWatcher?.handleEvents(IOEvents(rawValue: event.events), in: self)
        default:
            let slot = Int(token & 0xFFFF_FFFF)
            let generation = UInt32(token >> 32)
            // A handler earlier in this batch may have deregistered this one.
            guard slot < slots.count, slots[slot].generation == generation, let handler = slots[slot].handler else {
                return
            }
            handler.handleEvents(IOEvents(rawValue: event.events), in: self)
        }
    }

    private func runPostedWork() {
        waker.takePending(into: &postedWork)
        for work in postedWork { work(self) }
        postedWork.removeAll(keepingCapacity: true)
    }

    private func fireDueTimers() {
        let now = MonotonicInstant.now()
        let sequenceLimit = timers.currentSequence
        while let action = timers.popDue(at: now, addedBefore: sequenceLimit) {
            action(self)
        }
    }
}
