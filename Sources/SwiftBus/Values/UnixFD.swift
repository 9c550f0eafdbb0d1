/// Unix FD
import BusPlatform
import DBusWire
import Glibc
import Synchronization

/// An owned file descriptor as a D-Bus value (`h`).
///
/// A received descriptor belongs to whoever holds the `UnixFD`: it is closed when the last
/// reference goes, unless `take()` moved it out first. Sending one duplicates it, so the
/// sender keeps its own. A class because a descriptor must have exactly one closer while
/// values that hold it (arrays, variants) are copied freely.
public final class UnixFD: DBusRepresentable, CustomStringConvertible {
    /// The descriptor number, -1 once taken. Invariant: while >= 0 this object owns it and
    /// is the only one that closes it.
    private let raw: Mutex<CInt>

    /// Takes ownership of `descriptor`.
    public init(_ descriptor: consuming FileDescriptor) {
        raw = Mutex(descriptor.take())
    }

    /// Takes ownership of a raw descriptor number.
    public init(owning rawValue: CInt) {
        raw = Mutex(rawValue)
    }

    deinit {
        let value = raw.withLock { $0 }
        if value >= 0 { _ = Glibc.close(value) }
    }

    /// The descriptor number while this value owns it, nil once taken.
    public var rawValue: CInt? {
        let value = raw.withLock { $0 }
        return value >= 0 ? value : nil
    }

    /// Moves the descriptor out; the caller owns it from now on. Nil if already taken.
    public func take() -> FileDescriptor? {
        let value = raw.withLock { current in
            defer { current = -1 }
            return current
        }
        return value >= 0 ? FileDescriptor(owning: value) : nil
    }

    /// A close-on-exec duplicate, for sending: the kernel passes copies, ours stays open.
    func duplicate() throws(Errno) -> FileDescriptor {
        guard let value = rawValue else { throw .badDescriptor }
        let copy = fcntl(value, F_DUPFD_CLOEXEC, CInt(0))
        if copy < 0 { throw Errno(rawValue: errno) }
        return FileDescriptor(owning: copy)
    }

    public var description: String { rawValue.map { "fd \($0)" } ?? "fd (taken)" }

    public static var dbusType: SignatureType { .unixFD }

    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue {
        .unixFD(context.attach(self))
    }

    /// Shares the received descriptor object: every decode of the same index yields the same owner.
    public convenience init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .unixFD(let index) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        let shared = try context.fileDescriptor(at: index)
        self.init(owning: shared.take()?.take() ?? -1)
    }
}
