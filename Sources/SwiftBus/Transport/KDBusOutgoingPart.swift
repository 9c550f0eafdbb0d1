// KDBus Outgoing Part: one piece of a message sent with memfd parts.
import BusPlatform

/// A piece of a message for `KDBusChannel.send(parts:)` (docs/kdbus-transport.md §8): the
/// message is the concatenation of the parts. Large body parts travel as sealed memfds, so
/// the broker hands the memory itself to pool receivers instead of copying it.
public enum KDBusOutgoingPart: Sendable {
    /// Bytes written into the arena.
    case bytes([UInt8])
    /// A whole memfd sealed with `KDBusOutgoingPart.memfdSeals` (see `sealedMemfd`); the
    /// caller keeps its descriptor, the channel sends a duplicate.
    case memfd(CInt, length: Int)

    /// Seals a payload memfd must carry: immutable for everyone, as kdbus required.
    public static let memfdSeals: FileSeals = MemoryFile.payloadSeals

    /// A memfd holding `bytes`, sealed with `memfdSeals` (`MemoryFile.sealedPayload`).
    public static func sealedMemfd(_ bytes: UnsafeRawBufferPointer, name: String = "swiftbus-payload") throws(Errno) -> FileDescriptor {
        try MemoryFile.sealedPayload(bytes, name: name)
    }
}
