/// Wire String
///
/// A string, object path or signature inside a received buffer, already validated, seen
/// without copying. Lifetime invariant: a `WireString` points into the buffer it was read
/// from and is valid only while that buffer is alive and unchanged; copy with `.string`
/// to keep it.
public struct WireString: CustomStringConvertible {
    /// The bytes, without the NUL terminator.
    public let bytes: UnsafeRawBufferPointer

    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// An owning copy.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public var count: Int { bytes.count }

    public var description: String { string }

    /// Compares bytes without allocating.
    public static func == (lhs: WireString, rhs: StaticString) -> Bool {
        rhs.withUTF8Buffer { utf8 in lhs.equals(UnsafeRawBufferPointer(utf8)) }
    }

    public static func == (lhs: WireString, rhs: String) -> Bool {
        var copy = rhs
        return copy.withUTF8 { utf8 in lhs.equals(UnsafeRawBufferPointer(utf8)) }
    }

    public static func == (lhs: WireString, rhs: WireString) -> Bool { lhs.equals(rhs.bytes) }

    /// Byte equality; `memcmp` via the buffers' `elementsEqual` would iterate, so compare directly.
    public func equals(_ other: UnsafeRawBufferPointer) -> Bool {
        guard other.count == bytes.count else { return false }
        guard let a = bytes.baseAddress, let b = other.baseAddress else { return true }
        return memcmpBytes(a, b, count: bytes.count)
    }
}

/// Byte comparison without Foundation or Glibc, so DBusWire stays free of platform imports.
@inline(__always) func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
    var i = 0
    while i + 8 <= count {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < count {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
