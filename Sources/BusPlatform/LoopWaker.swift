// Loop Waker: how another thread posts work to an EventLoop or stops it.
import CSwiftBusShims
import Glibc
import Synchronization

/// The one part of an `EventLoop` other threads may touch. `post` queues work to run
/// on the loop's thread and `stop` asks the loop to return from `run`; both write an
/// eventfd the loop watches, so a loop asleep in `epoll_wait` wakes at once.
public final class LoopWaker: Sendable {
    /// Work posted from another thread; it runs on the loop's thread with the loop.
    public typealias Work = @Sendable (EventLoop) -> Void

    let eventDescriptor: FileDescriptor
    let pending = Mutex<[Work]>([])
    let stopRequested = Atomic<Bool>(false)

    init() throws(Errno) {
        let raw = try systemCall { eventfd(0, CInt(EFD_CLOEXEC | EFD_NONBLOCK)) }
        eventDescriptor = FileDescriptor(owning: raw)
    }

    /// Queues `work` for the loop's thread and wakes the loop. Storing the closure costs
    /// the posting thread one allocation; running it costs the loop none.
    public func post(_ work: @escaping Work) {
        pending.withLock { $0.append(work) }
        wake()
    }

    /// Asks the loop to return from `run` after the current turn.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    private func wake() {
        var one: UInt64 = 1
        // EAGAIN means the counter is already huge: the loop is awake anyway.
        _ = withUnsafeBytes(of: &one) { try? eventDescriptor.write($0) }
    }

    /// Resets the eventfd counter; called by the loop when it is readable.
    func acknowledge() {
        var counter: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &counter) { try? eventDescriptor.read(into: $0) }
    }

    /// Swaps the pending work into `batch` (which must be empty), keeping both buffers'
    /// capacity so a steady trickle of posts allocates nothing on the loop's side.
    func takePending(into batch: inout [Work]) {
        pending.withLock { swap(&$0, &batch) }
    }
}
