/// Mutex Box: a Sendable value behind a lock.
import Synchronization

/// `Mutex` in a class, so tasks can share it by reference.
final class MutexBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
