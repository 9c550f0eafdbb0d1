// Off Pool: blocking test work on a thread of its own, never on Swift's cooperative pool.
import Foundation

/// Runs `body` on a new thread, inside the calling task, and returns its result.
///
/// The integration tests block: on sockets (`TestClient` waits in `poll`), on child
/// processes (`Process.waitUntilExit`, reading a pipe until the address arrives). Run as
/// synchronous `@Test`s they occupy a thread of the cooperative pool, which has one thread
/// per core: on a two-core machine two such tests stall every async test in the process
/// for as long as they block (a `swift test` run once stalled ~4 s so).
///
/// The body runs on a task executor that owns one thread, so it stays in the test's task:
/// `#expect` inside it is recorded against the test (a plain `Thread` would lose the
/// task-local test context and report issues against an unknown test).
func offPool<T: Sendable>(_ body: () throws -> T) async throws -> T {
    await OffPoolLimiter.shared.acquire()
    let executor = ThreadTaskExecutor()
    defer { executor.finish() }
    do {
        let result = try await withTaskExecutorPreference(executor) { try await executor.run(body) }
        await OffPoolLimiter.shared.release()
        return result
    } catch {
        await OffPoolLimiter.shared.release()
        throw error
    }
}

/// At most `limit` blocking test bodies at once: as many as the cooperative pool used to
/// run, so leaving the pool does not also multiply the daemons and clients running at once
/// on a two-core machine (other suites' wall-clock bounds feel that load).
actor OffPoolLimiter {
    static let shared = OffPoolLimiter()
    static let limit = 2
    private var available = OffPoolLimiter.limit
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            available += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A task executor with one thread of its own, which ends after `finish()`.
final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false
    private static let threadName = "test-blocking-work"

    init() {
        let thread = Thread { [self] in runJobs() }
        thread.name = Self.threadName
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` here: a nonisolated `async` function runs on the task's preferred
    /// executor, so this is where the caller's task has moved.
    func run<T>(_ body: () throws -> T) async throws -> T {
        precondition(isOwnThread, "blocking test work must not run on the cooperative pool")
        return try body()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    /// The thread `runJobs` runs on, set when it starts.
    private var ownThread: pthread_t?
    private var isOwnThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        return ownThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
    }

    private func runJobs() {
        condition.lock()
        ownThread = pthread_self()
        condition.unlock()
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
