/// Sealed Memfd: a body part frozen in a memfd, as the kdbus transport passes large payloads.
import BusPlatform
import Glibc

/// Making payload memfds (docs/kdbus-transport.md §8). A payload memfd is sealed against
/// shrink, grow and every write, so a receiver that maps it can trust its bytes never change
/// and never vanish under the mapping.
enum SealedMemfd {
    /// The seals a payload memfd carries.
    static let payloadSeals: FileSeals = [.shrink, .grow, .write, .seal]

    /// A new memfd holding `bytes`, sealed. Written with `pwrite`, not a mapping: the write
    /// seal cannot be added while a writable mapping exists.
    static func make(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> FileDescriptor {
        let file = try MemoryFile.create(name: "swiftbus-payload", size: bytes.count)
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
