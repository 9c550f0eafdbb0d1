// Errno: a system call's failure, as a type.
import Glibc

/// The error number a failed system call left in `errno`, typed so that every system
/// call in BusPlatform can `throws(Errno)` and callers can match on the cases they
/// handle (`.wouldBlock`, `.interrupted`) without comparing bare integers.
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    public let rawValue: CInt

    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The value of `errno` right now; read it straight after the failing call.
    public static var current: Errno { Errno(rawValue: errno) }

    /// "EAGAIN (Resource temporarily unavailable)": the symbolic name where we know it, and
    /// the C library's text, so a log line says both what happened and what to search for.
    public var description: String {
        let text = String(cString: strerror(rawValue))
        return "\(symbolicName) (\(text))"
    }

    private var symbolicName: String {
        switch self {
        case .wouldBlock: "EAGAIN"
        case .interrupted: "EINTR"
        case .badDescriptor: "EBADF"
        case .invalidArgument: "EINVAL"
        case .permissionDenied: "EPERM"
        case .accessDenied: "EACCES"
        case .addressInUse: "EADDRINUSE"
        case .connectionRefused: "ECONNREFUSED"
        case .connectionReset: "ECONNRESET"
        case .brokenPipe: "EPIPE"
        case .noSuchFile: "ENOENT"
        case .protocolOptionUnavailable: "ENOPROTOOPT"
        case .tooManyReferences: "ETOOMANYREFS"
        case .notSocket: "ENOTSOCK"
        case .nameTooLong: "ENAMETOOLONG"
        case .busy: "EBUSY"
        default: "errno \(rawValue)"
        }
    }

    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let badDescriptor = Errno(rawValue: EBADF)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let permissionDenied = Errno(rawValue: EPERM)
    public static let accessDenied = Errno(rawValue: EACCES)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let noSuchFile = Errno(rawValue: ENOENT)
    public static let protocolOptionUnavailable = Errno(rawValue: ENOPROTOOPT)
    public static let tooManyReferences = Errno(rawValue: ETOOMANYREFS)
    public static let notSocket = Errno(rawValue: ENOTSOCK)
    public static let nameTooLong = Errno(rawValue: ENAMETOOLONG)
    public static let busy = Errno(rawValue: EBUSY)
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    public static let outOfRange = Errno(rawValue: ERANGE)
}

/// Runs a system call that returns -1 and sets `errno` on failure, retrying on EINTR:
/// a signal arriving mid-call is never a failure of the operation itself.
@inline(__always)
func retryingSystemCall<T: FixedWidthInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if error != .interrupted { throw error }
    }
}

/// Runs a system call once; for calls that must not be retried (close) or cannot be interrupted.
@inline(__always)
func systemCall<T: FixedWidthInteger>(_ call: () -> T) throws(Errno) -> T {
    let result = call()
    if result == -1 { throw Errno.current }
    return result
}
