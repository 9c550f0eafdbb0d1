// Service Spawner
//
// Starts a service process for activation and hands back a pidfd to watch it with.
import BusPlatform
import CSwiftBusShims
import Glibc

/// A started service process: its pid and a pidfd that turns readable when it exits.
struct SpawnedService: ~Copyable {
    let pid: pid_t
    let exitNotifier: FileDescriptor
}

/// Spawns activated services with `posix_spawn` (no fork of the broker's address space):
/// signals reset, stdin from /dev/null, no descriptor but 0–2 inherited. The exit is
/// watched through a pidfd on the event loop, so the broker never blocks and never needs
/// SIGCHLD.
enum ServiceSpawner {
    /// Starts `arguments[0]` (an absolute path, not looked up in PATH) with `environment`
    /// (`KEY=value` strings). A failed exec is reported here, as its errno.
    static func spawn(arguments: [String], environment: [String]) throws(Errno) -> SpawnedService {
        var pid: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in csb_spawn_service(argv[0], argv, envp, &pid) }
        }
        if result != 0 { throw Errno(rawValue: result) }
        // Only we reap the child, so its pid stays valid (a zombie at worst) until then.
        let pidfd = csb_pidfd_open(pid)
        guard pidfd >= 0 else {
            let error = Errno.current
            kill(pid, SIGKILL)
            var status: CInt = 0
            _ = waitpid(pid, &status, 0)
            throw error
        }
        return SpawnedService(pid: pid, exitNotifier: FileDescriptor(owning: pidfd))
    }

    /// `strings` as a NULL-terminated array of C strings, valid inside `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        // Invariant: every pointer is strdup'ed here and freed before returning.
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}

/// How a service process ended, decoded from a `waitpid` status.
enum ServiceExit: Equatable {
    case exited(status: Int32)
    case signaled(signal: Int32)

    /// The wait status layout of Linux: low 7 bits the terminating signal (0 when the
    /// process exited), bits 8–15 the exit status. Swift cannot use the W* macros.
    init(waitStatus status: CInt) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited(status: (status >> 8) & 0xFF) : .signaled(signal: signal)
    }
}
