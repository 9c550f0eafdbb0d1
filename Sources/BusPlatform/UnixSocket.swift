// Unix Socket: a non-blocking, close-on-exec Unix stream socket.
import CSwiftBusShims
import Glibc

/// A Unix stream socket with one owner: a listener, or one end of a connection. Every
/// socket is non-blocking and close-on-exec from the moment it exists (`SOCK_NONBLOCK |
/// SOCK_CLOEXEC`, `accept4`), so there is no window in which a spawned service could
/// inherit it and no call that can stall the broker's single thread.
public struct UnixSocket: ~Copyable, Sendable {
    /// The socket's descriptor, lent for registration with an `EventLoop`.
    public let descriptor: FileDescriptor

    /// Adopts a descriptor that is already a Unix stream socket (an inherited listener).
    public init(adopting descriptor: consuming FileDescriptor) {
        self.descriptor = descriptor
    }

    static var socketFlags: CInt { csb_sock_cloexec() | csb_sock_nonblock() }

    private static func makeStreamSocket(for address: UnixSocketAddress, operation: String) throws(SocketError) -> UnixSocket {
        do {
            let raw = try systemCall { socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | socketFlags, 0) }
            return UnixSocket(adopting: FileDescriptor(owning: raw))
        } catch {
            throw .system(operation: "socket for \(operation)", address: address.description, error)
        }
    }

    /// Binds and listens at `address`. A path that already exists fails with EADDRINUSE
    /// unless `replacingStaleSocket` is set: then, and only if connecting to it is
    /// refused (nobody listens — a socket file left by a crashed broker), the file is
    /// unlinked and the bind retried once. A live listener is never taken over.
    public static func listen(
        at address: UnixSocketAddress,
        replacingStaleSocket: Bool = false,
        backlog: CInt = PlatformLimits.listenBacklog
    ) throws(SocketError) -> UnixSocket {
        let listener = try makeStreamSocket(for: address, operation: "listen")
        do {
            try listener.bind(to: address)
        } catch let error where error.errno == .addressInUse && replacingStaleSocket {
            guard case .path(let path) = address, isStale(address) else { throw error }
            _ = unlink(path)
            try listener.bind(to: address)
        }
        do {
            _ = try systemCall { Glibc.listen(listener.descriptor.rawValue, backlog) }
        } catch {
            throw .system(operation: "listen", address: address.description, error)
        }
        return listener
    }

    private func bind(to address: UnixSocketAddress) throws(SocketError) {
        try address.withSocketAddress(for: "bind") { pointer, length throws(Errno) in
            _ = try systemCall { Glibc.bind(descriptor.rawValue, pointer, length) }
        }
    }

    /// A path socket is stale when connecting to it is refused: the file exists, nobody accepts.
    private static func isStale(_ address: UnixSocketAddress) -> Bool {
        do {
            _ = try connect(to: address)
            return false
        } catch {
            return error.errno == .connectionRefused
        }
    }

    /// Connects to `address`. On a Unix socket the connection completes at once or
    /// fails; EAGAIN means the listener's backlog is full, and is reported as such.
    public static func connect(to address: UnixSocketAddress) throws(SocketError) -> UnixSocket {
        let connection = try makeStreamSocket(for: address, operation: "connect")
        try address.withSocketAddress(for: "connect") { pointer, length throws(Errno) in
            _ = try retryingSystemCall { Glibc.connect(connection.descriptor.rawValue, pointer, length) }
        }
        return connection
    }

    /// A connected pair, for tests and for talking to a child process.
    public static func pair() throws(Errno) -> SocketPair {
        var raw: [CInt] = [-1, -1]
        _ = try systemCall { socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue) | socketFlags, 0, &raw) }
        return SocketPair(
            first: UnixSocket(adopting: FileDescriptor(owning: raw[0])),
            second: UnixSocket(adopting: FileDescriptor(owning: raw[1])))
    }

    /// Accepts one pending connection, or returns nil when none is waiting (EAGAIN).
    /// The new socket is non-blocking and close-on-exec, set atomically by `accept4`.
    public func accept() throws(Errno) -> UnixSocket? {
        do {
            let raw = try retryingSystemCall { csb_accept4(descriptor.rawValue, nil, nil, UnixSocket.socketFlags) }
            return UnixSocket(adopting: FileDescriptor(owning: raw))
        } catch where error == .wouldBlock {
            return nil
        }
    }

    /// Whether the socket is a listening Unix stream socket, as an inherited descriptor must be.
    public func isListeningUnixStream() throws(Errno) -> Bool {
        try UnixSocket.isListeningUnixStream(descriptor.rawValue)
    }

    /// The same check on a descriptor we do not own yet (an inherited one).
    static func isListeningUnixStream(_ raw: CInt) throws(Errno) -> Bool {
        let domain = try integerOption(raw, SO_DOMAIN)
        let type = try integerOption(raw, SO_TYPE)
        let listening = try integerOption(raw, csb_so_acceptconn())
        return domain == AF_UNIX && type == CInt(SOCK_STREAM.rawValue) && listening != 0
    }

    func integerOption(_ option: CInt) throws(Errno) -> CInt {
        try UnixSocket.integerOption(descriptor.rawValue, option)
    }

    private static func integerOption(_ raw: CInt, _ option: CInt) throws(Errno) -> CInt {
        var value: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        _ = try systemCall { getsockopt(raw, SOL_SOCKET, option, &value, &length) }
        return value
    }

    func setIntegerOption(_ option: CInt, _ value: CInt) throws(Errno) {
        var value = value
        _ = try systemCall {
            setsockopt(descriptor.rawValue, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<CInt>.size))
        }
    }

    /// Shuts down the writing side, so the peer reads end-of-file after what was sent.
    public func shutdownWriting() throws(Errno) {
        _ = try systemCall { shutdown(descriptor.rawValue, CInt(SHUT_WR)) }
    }
}

/// Two connected sockets from `socketpair`. Frozen so callers may move each end out
/// (`let a = pair.first; let b = pair.second`): Swift has no tuples of noncopyable values.
@frozen
public struct SocketPair: ~Copyable, Sendable {
    public var first: UnixSocket
    public var second: UnixSocket
}
