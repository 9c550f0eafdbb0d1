// Memory File: anonymous shared memory (memfd) that can be sized, sealed and passed.
import CSwiftBusShims
import Glibc

/// A memfd: memory with a file descriptor, so it can be mapped by several processes and
/// passed over a socket. Created close-on-exec and with sealing allowed, because every
/// memfd the transport hands out is sealed (see `FileSeals.pool`).
public enum MemoryFile {
    /// Creates a memfd of `size` bytes, zero-filled. `name` shows in /proc/PID/fd (as
    /// "memfd:NAME") and helps whoever debugs a leak; it need not be unique.
    public static func create(name: String, size: Int) throws(Errno) -> FileDescriptor {
        let flags = UInt32(csb_mfd_cloexec() | csb_mfd_allow_sealing())
        let file = FileDescriptor(owning: try systemCall { csb_memfd_create(name, flags) })
        try file.truncate(toSize: size)
        return file
    }

    /// Seals a payload memfd carries (docs/kdbus-transport.md §8): nothing about it can
    /// change, for anyone, ever (kdbus asked the same of `KDBUS_ITEM_PAYLOAD_MEMFD`).
    public static let payloadSeals: FileSeals = [.shrink, .grow, .write, .seal]

    /// A memfd holding a copy of `bytes`, sealed with `payloadSeals`. Written with `pwrite`,
    /// not through a mapping: the write seal cannot be added while a writable mapping exists.
    public static func sealedPayload(_ bytes: UnsafeRawBufferPointer, name: String) throws(Errno) -> FileDescriptor {
        let file = try create(name: name, size: bytes.count)
        var written = 0
        while written < bytes.count {
            let count = try file.write(UnsafeRawBufferPointer(rebasing: bytes[written...]), atOffset: written)
            if count == 0 { throw Errno(rawValue: EIO) }
            written += count
        }
        try file.addSeals(payloadSeals)
        return file
    }
}

extension FileDescriptor {
    /// Adds seals. Fails with EPERM once `.seal` is set, and with EBUSY when adding
    /// `.write` while a writable mapping exists.
    public func addSeals(_ seals: FileSeals) throws(Errno) {
        _ = try systemCall { csb_fcntl_int(rawValue, csb_f_add_seals(), seals.rawValue) }
    }

    /// The seals set so far; a receiver checks them before trusting a memfd it was sent.
    public func seals() throws(Errno) -> FileSeals {
        FileSeals(rawValue: try systemCall { csb_fcntl_int(rawValue, csb_f_get_seals(), 0) })
    }

    /// The file's size in bytes (`fstat`), to check a received memfd before mapping it.
    public func size() throws(Errno) -> Int {
        var status = stat()
        _ = try systemCall { fstat(rawValue, &status) }
        return Int(status.st_size)
    }
}
