// Signal Watcher: process signals delivered as readable events through signalfd.
import CSwiftBusShims
import Glibc

/// Turns signals into ordinary loop events: the signals are blocked in the calling
/// thread (so no asynchronous handler ever interrupts the broker mid-update) and read
/// from a signalfd instead. The broker watches SIGHUP to reload its configuration and
/// SIGTERM/SIGINT to stop. Block signals before starting other threads: a signal is
/// delivered to any thread that does not block it.
final class SignalWatcher: IOEventHandler {
    typealias Handler = (CInt, EventLoop) -> Void

    let descriptor: FileDescriptor
    private let handler: Handler
    /// One read takes up to this many queued signals; signalfd returns whole records.
    private static let recordsPerRead = 16
    private let records: UnsafeMutableBufferPointer<signalfd_siginfo>

    init(signals: [CInt], handler: @escaping Handler) throws(Errno) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        let blocked = pthread_sigmask(SIG_BLOCK, &mask, nil)
        if blocked != 0 { throw Errno(rawValue: blocked) }
        let raw = try systemCall { signalfd(-1, &mask, CInt(SFD_CLOEXEC | SFD_NONBLOCK)) }
        descriptor = FileDescriptor(owning: raw)
        self.handler = handler
        // Invariant: allocated once here, freed once in deinit, only touched on the loop's thread.
        records = .allocate(capacity: Self.recordsPerRead)
    }

    deinit { records.deallocate() }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        let raw = UnsafeMutableRawBufferPointer(records)
        while let count = try? descriptor.read(into: raw), count > 0 {
            let delivered = count / MemoryLayout<signalfd_siginfo>.size
            for index in 0..<delivered { handler(CInt(records[index].ssi_signo), loop) }
        }
    }
}
