/// I/O Thread
import BusPlatform
import Glibc

/// Runs one connection's event loop on a dedicated POSIX thread, so user code never
/// blocks I/O and I/O never runs user code.
enum IOThread {
    /// Hands the loop and its handler to the new thread. Unchecked because `EventLoop` and
    /// `ConnectionIO` are single-thread objects; the invariant: the creating thread builds
    /// them, puts them in the box and never touches them again, so from `start` on only the
    /// I/O thread uses them.
    private final class Handoff: @unchecked Sendable {
        let loop: EventLoop
        let io: ConnectionIO
        init(loop: EventLoop, io: ConnectionIO) {
            self.loop = loop
            self.io = io
        }
    }

    /// Starts the thread; it registers the socket, runs the loop until the connection ends,
    /// then releases everything (closing the socket).
    static func start(loop: EventLoop, io: ConnectionIO) {
        let box = Unmanaged.passRetained(Handoff(loop: loop, io: io))
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { argument in
            let handoff = Unmanaged<Handoff>.fromOpaque(argument!).takeRetainedValue()
            IOThread.run(handoff.loop, handoff.io)
            return nil
        }, box.toOpaque())
        if created != 0 {
            box.release()
            io.core.markDisconnected("could not start the I/O thread: pthread_create returned \(created)")
            return
        }
        pthread_detach(thread)
    }

    private static func run(_ loop: EventLoop, _ io: ConnectionIO) {
        do {
            try io.start()
        } catch {
            io.shutDown("could not watch the socket: \(error)")
            return
        }
        while !io.finished {
            do {
                try loop.runOnce()
            } catch {
                io.shutDown("event loop failed: \(error)")
            }
            io.afterTurn()
        }
    }
}
