// Process Control: the few process-wide primitives the broker needs at start-up.
import CSwiftBusShims
import Glibc

/// Process-level system calls: identity, the descriptor limit, and the fork/setsid pair
/// behind `--fork`. Deliberately primitives: the broker decides the policy (what the
/// child does, what the parent prints) on top of them.
public enum ProcessControl {
    /// The real user id; a session bus admits this user, the system bus everyone.
    public static var userID: uid_t { getuid() }
    /// The effective user id.
    public static var effectiveUserID: uid_t { geteuid() }
    public static var processID: pid_t { getpid() }

    /// Restricts the calling thread to CPU `cpu`, as `taskset -c` does for a process.
    public static func pinCurrentThread(toProcessor cpu: Int) throws(Errno) {
        _ = try systemCall { csb_pin_thread_to_cpu(CInt(cpu)) }
    }

    /// The soft and hard limits on open descriptors.
    public struct DescriptorLimit: Equatable, Sendable {
        public var soft: UInt64
        public var hard: UInt64
    }

    /// The current `RLIMIT_NOFILE`.
    public static func descriptorLimit() throws(Errno) -> DescriptorLimit {
        var limit = rlimit()
        _ = try systemCall { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        return DescriptorLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Raises the soft descriptor limit to the hard one, as dbus-broker does: every peer
    /// costs a descriptor, and the hard limit is what the administrator allows.
    @discardableResult
    public static func raiseDescriptorLimitToHard() throws(Errno) -> DescriptorLimit {
        var limit = rlimit()
        _ = try systemCall { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        limit.rlim_cur = limit.rlim_max
        _ = try systemCall { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        return DescriptorLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Which side of a `fork` the caller is on.
    public enum ForkResult: Equatable, Sendable {
        case parent(child: pid_t)
        case child
    }

    /// `fork()`. Only call it before starting threads: the child gets one thread, and any
    /// lock another thread held stays locked for ever.
    public static func fork() throws(Errno) -> ForkResult {
        let pid = try systemCall { Glibc.fork() }
        return pid == 0 ? .child : .parent(child: pid)
    }

    /// `setsid()`: the forked daemon leaves the terminal's session and process group.
    @discardableResult
    public static func startSession() throws(Errno) -> pid_t {
        try systemCall { setsid() }
    }

    /// Waits for a child to exit and returns its raw wait status.
    public static func waitForChild(_ child: pid_t) throws(Errno) -> CInt {
        var status: CInt = 0
        _ = try retryingSystemCall { waitpid(child, &status, 0) }
        return status
    }
}
