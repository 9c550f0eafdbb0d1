// File Descriptor: an owned kernel descriptor that closes itself.
import CSwiftBusShims
import Glibc

/// A descriptor with exactly one owner. It closes when its owner lets go of it, so a
/// descriptor can neither leak on an error path nor be closed twice. Use `rawValue` to
/// lend it to a system call, `take()` to hand ownership to code that closes it itself.
/// Every descriptor BusPlatform creates is close-on-exec, so activated services the
/// broker spawns inherit only what they are given on purpose.
public struct FileDescriptor: ~Copyable, Sendable {
    /// The descriptor number, lent for the duration of a borrow.
    public let rawValue: CInt

    /// Takes ownership of `rawValue`; it will be closed when this value goes away.
    public init(owning rawValue: CInt) {
        precondition(rawValue >= 0, "FileDescriptor(owning:) needs a valid descriptor, got \(rawValue)")
        self.rawValue = rawValue
    }

    deinit {
        // EINTR from close still releases the descriptor on Linux: never retry.
        _ = Glibc.close(rawValue)
    }

    /// Gives up ownership without closing; the caller must close the number.
    public consuming func take() -> CInt {
        let value = rawValue
        discard self
        return value
    }

    /// Closes now and reports the kernel's error (a deferred write error, say), which
    /// `deinit` would have to swallow.
    public consuming func close() throws(Errno) {
        let value = take()
        _ = try systemCall { Glibc.close(value) }
    }

    /// A second, independent, close-on-exec descriptor for the same open file.
    public func duplicate() throws(Errno) -> FileDescriptor {
        let copy = try retryingSystemCall { fcntl(rawValue, F_DUPFD_CLOEXEC, CInt(0)) }
        return FileDescriptor(owning: copy)
    }

    /// Whether the close-on-exec flag is set; every descriptor we create should say yes.
    public func isCloseOnExec() throws(Errno) -> Bool {
        let flags = try systemCall { fcntl(rawValue, F_GETFD) }
        return flags & FD_CLOEXEC != 0
    }

    /// Whether the descriptor is in non-blocking mode.
    public func isNonBlocking() throws(Errno) -> Bool {
        let flags = try systemCall { fcntl(rawValue, F_GETFL) }
        return flags & O_NONBLOCK != 0
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingSystemCall { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes up to `bytes.count` bytes and returns how many the kernel took.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retryingSystemCall { Glibc.write(rawValue, bytes.baseAddress, bytes.count) }
    }

    /// Writes at `offset` without moving the file position.
    public func write(_ bytes: UnsafeRawBufferPointer, atOffset offset: Int) throws(Errno) -> Int {
        try retryingSystemCall { pwrite(rawValue, bytes.baseAddress, bytes.count, off_t(offset)) }
    }

    /// Sets the file's size, as memfds need before they are mapped.
    public func truncate(toSize size: Int) throws(Errno) {
        _ = try retryingSystemCall { ftruncate(rawValue, off_t(size)) }
    }
}
