// KDBus Byte Access: little-endian loads and stores at byte offsets, bounds already checked.

extension UnsafeRawBufferPointer {
    /// Reads a little-endian integer at `offset`; the caller has checked `offset + size <= count`.
    @inlinable public func kdbusLoad<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Writes a little-endian integer at `offset`; the caller has checked the bounds.
    @inlinable public func kdbusStore<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

extension Int {
    /// Rounds up to the transport's 8-byte alignment.
    @inlinable public var kdbusAligned: Int { (self + KDBusLimits.alignment - 1) & ~(KDBusLimits.alignment - 1) }
}
