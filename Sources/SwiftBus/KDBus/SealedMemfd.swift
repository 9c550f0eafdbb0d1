/// Sealed Memfd: a body part frozen in a memfd, as the kdbus transport passes large payloads.
import BusPlatform
import Glibc

/// Making and checking payload memfds (docs/kdbus-transport.md §8). A payload memfd is
/// sealed against shrink, grow and every write, so a receiver that maps it can trust its
/// bytes never change and never vanish under the mapping.
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

    /// Maps a received payload memfd read-only after checking it is sealed as a payload and
    /// holds at least `length` bytes; `body` reads the first `length`.
    static func withContents<R>(
        of file: borrowing FileDescriptor, length: Int, _ body: (UnsafeRawBufferPointer) -> R
    ) throws(KDBusTransportError) -> R {
        do {
            let seals = try file.seals()
            guard seals.isSuperset(of: payloadSeals) else { throw KDBusTransportError.payloadNotSealed(found: seals.description) }
            let size = try file.size()
            guard size >= length else { throw KDBusTransportError.payloadTooShort(length: length, size: size) }
            if length == 0 { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            let mapping = try MappedRegion.map(file, length: length, protection: .read)
            return mapping.withUnsafeBytes { body($0) }
        } catch let error as KDBusTransportError {
            throw error
        } catch {
            throw .system("mapping a payload memfd", error)
        }
    }
}
