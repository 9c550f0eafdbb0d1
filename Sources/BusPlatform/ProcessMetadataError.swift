// Process Metadata Error: why a peer's process facts could not be read.
import Glibc

/// Reading `ProcessMetadata` failed. The broker still accepts the peer (identity from
/// `SO_PEERCRED` is enough to route); it attaches no /proc-derived items for it.
public enum ProcessMetadataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The process behind the pidfd has exited: /proc/PID may already name another process.
    case processExited(pid_t)
    /// The pidfd names a different pid than the one asked about (a pid namespace mix-up).
    case processMismatch(expected: pid_t, pidfdNames: pid_t)
    /// A /proc file could not be opened or read.
    case unreadable(path: String, Errno)
    /// A /proc file did not hold the line or number expected.
    case malformed(path: String, field: String)

    public var description: String {
        switch self {
        case .processExited(let pid): "process \(pid) exited before its metadata could be read"
        case .processMismatch(let expected, let found): "the pidfd of process \(expected) names pid \(found)"
        case .unreadable(let path, let error): "cannot read \(path): \(error)"
        case .malformed(let path, let field): "\(path): no valid \(field) field"
        }
    }
}
