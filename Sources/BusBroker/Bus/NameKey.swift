// Name Key
//
// A bus name as a dictionary key that can be looked up with bytes borrowed from a
// received message, so resolving a destination allocates nothing.
import DBusWire

/// The bytes of a bus name, either owned (the keys stored in a table) or borrowed from a
/// message buffer (the probe used for a lookup). Both hash and compare by their bytes.
///
/// Lifetime invariant: a borrowed key is valid only while the buffer it points into is
/// alive and unchanged; it is only ever built for a lookup and dropped right after.
struct NameKey: Hashable {
    private enum Storage {
        case owned([UInt8])
        case borrowed(UnsafeRawBufferPointer)
    }

    private let storage: Storage

    /// A key that owns a copy of `name`, for storing in a table.
    init(_ name: String) { storage = .owned(Array(name.utf8)) }

    /// A probe over bytes inside a message; never store it.
    init(borrowing bytes: UnsafeRawBufferPointer) { storage = .borrowed(bytes) }

    private func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch storage {
        case .owned(let bytes): bytes.withUnsafeBytes(body)
        case .borrowed(let bytes): body(bytes)
        }
    }

    static func == (lhs: NameKey, rhs: NameKey) -> Bool {
        // `WireString.equals` compares 8 bytes at a time; `elementsEqual` went byte by byte
        // (~300 instructions for a typical well-known name, on every resolved destination).
        lhs.withBytes { left in rhs.withBytes { right in WireString(bytes: left).equals(right) } }
    }

    func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: $0) }
    }
}
