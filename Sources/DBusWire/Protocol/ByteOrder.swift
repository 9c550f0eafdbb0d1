/// The byte order a message declares in its first byte: `l` for little-endian, `B` for big-endian.
///
/// Every multi-byte value in a message (header and body) uses the order the message declares.
/// A receiver must accept both orders; this machine is little-endian, so `.little` is the fast path.
public enum ByteOrder: UInt8, Sendable, Hashable, CaseIterable {
    case little = 0x6C  // "l"
    case big = 0x42  // "B"

    /// The order of the machine this code runs on.
    public static let host: ByteOrder = (1 as UInt16).littleEndian == 1 ? .little : .big
}
