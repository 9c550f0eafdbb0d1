// Unix Socket Address: a filesystem path or an abstract name, and its sockaddr_un.
import Glibc

/// Where a Unix stream socket listens or connects: a filesystem path, or a name in
/// Linux's abstract namespace (no file; it disappears with its last socket). D-Bus
/// addresses spell these `unix:path=` and `unix:abstract=`.
public enum UnixSocketAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    case path(String)
    case abstract(String)

    public var description: String {
        switch self {
        case .path(let path): "unix:path=\(path)"
        case .abstract(let name): "unix:abstract=\(name)"
        }
    }

    /// Checks the length and content rules and calls `body` with the `sockaddr_un` and
    /// the length the kernel must be given. For an abstract name the length counts
    /// exactly the leading NUL and the name's bytes: a trailing NUL would be part of the name.
    func withSocketAddress<R>(
        for operation: String,
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> R
    ) throws(SocketError) -> R {
        let (bytes, isAbstract) = switch self {
        case .path(let path): (Array(path.utf8), false)
        case .abstract(let name): (Array(name.utf8), true)
        }
        try validate(bytes, isAbstract: isAbstract)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        let nameStart = isAbstract ? 1 : 0
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (index, byte) in bytes.enumerated() { sunPath[nameStart + index] = byte }
        }
        // A path is passed with its NUL; an abstract name without one.
        let length = pathOffset + nameStart + bytes.count + (isAbstract ? 0 : 1)
        do {
            return try withUnsafePointer(to: &address) { pointer throws(Errno) -> R in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic throws(Errno) -> R in
                    try body(generic, socklen_t(length))
                }
            }
        } catch {
            throw SocketError.system(operation: operation, address: description, error)
        }
    }

    private func validate(_ bytes: [UInt8], isAbstract: Bool) throws(SocketError) {
        if bytes.isEmpty && !isAbstract {
            throw .invalidAddress(address: description, reason: "a socket path must not be empty")
        }
        if let offset = bytes.firstIndex(of: 0) {
            throw .invalidAddress(address: description, reason: "NUL byte at offset \(offset)")
        }
        let limit = isAbstract ? PlatformLimits.maxAbstractNameLength : PlatformLimits.maxSocketPathLength
        if bytes.count > limit {
            throw .invalidAddress(
                address: description,
                reason: "\(bytes.count) bytes long, the limit is \(limit) (sockaddr_un.sun_path holds 108)")
        }
    }
}
