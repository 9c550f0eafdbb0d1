// Service Process
//
// One running service the bus started, watched through its pidfd until it is reaped.
import BusPlatform
import Glibc

/// A child the broker spawned. Its pidfd is registered with the event loop; when it turns
/// readable the child has exited, is reaped without blocking, and the broker is told —
/// which fails the activation if the name was never taken.
final class ServiceProcess: IOEventHandler {
    let pid: pid_t
    /// The bus name it was started for (its log name, as dbus-daemon's babysitter's).
    let serviceName: String
    let exitNotifier: FileDescriptor
    var registration: IORegistration?
    weak var broker: Broker?

    init(_ spawned: consuming SpawnedService, serviceName: String, broker: Broker) {
        pid = spawned.pid
        exitNotifier = spawned.exitNotifier
        self.serviceName = serviceName
        self.broker = broker
    }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        var status: CInt = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        // 0: not exited yet (a spurious wake-up); -1: already reaped, nothing left to learn.
        if reaped == 0 { return }
        if let registration { try? loop.deregister(registration) }
        registration = nil
        broker?.serviceProcessExited(self, how: reaped == pid ? ServiceExit(waitStatus: status) : nil)
    }
}
