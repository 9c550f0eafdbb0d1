// Socket Error: why a socket could not be set up, with the address and the call.

/// A failure to create, bind, listen on or connect a socket. It names the address and
/// the system call so a log line points at the configuration entry to fix.
public enum SocketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The address breaks a `sockaddr_un` rule (length, embedded NUL, empty path).
    case invalidAddress(address: String, reason: String)
    /// A system call failed.
    case system(operation: String, address: String, Errno)

    /// The errno behind a `.system` failure, for callers that branch on it (EADDRINUSE).
    public var errno: Errno? {
        if case .system(_, _, let error) = self { return error }
        return nil
    }

    public var description: String {
        switch self {
        case .invalidAddress(let address, let reason): "invalid socket address \(address): \(reason)"
        case .system(let operation, let address, let error): "\(operation) \(address): \(error)"
        }
    }
}
