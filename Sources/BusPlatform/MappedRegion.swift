// Mapped Region: a shared mapping of a file, unmapped when its owner lets go.
import Glibc

/// Access a mapping allows.
public struct MemoryProtection: OptionSet, Hashable, Sendable {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    public static let read = MemoryProtection(rawValue: PROT_READ)
    public static let write = MemoryProtection(rawValue: PROT_WRITE)
}

/// A `MAP_SHARED` mapping of (part of) a file with one owner, unmapped in deinit. Its
/// bytes are reached only inside `withUnsafeBytes`/`withUnsafeMutableBytes`, so no
/// pointer into it can outlive the mapping.
public struct MappedRegion: ~Copyable {
    // Invariant: `base` is the start of a live mapping of `count` bytes (count > 0)
    // created by `map`, unmapped exactly once, in deinit.
    private let base: UnsafeMutableRawPointer
    public let count: Int
    public private(set) var protection: MemoryProtection

    /// Maps `length` bytes of `file` from `offset` (a multiple of the page size).
    public static func map(
        _ file: borrowing FileDescriptor, length: Int, offset: Int = 0, protection: MemoryProtection
    ) throws(Errno) -> MappedRegion {
        guard length > 0 else { throw .invalidArgument }
        let address = mmap(nil, length, protection.rawValue, MAP_SHARED, file.rawValue, off_t(offset))
        guard let address, address != MAP_FAILED else { throw Errno.current }
        return MappedRegion(base: address, count: length, protection: protection)
    }

    private init(base: UnsafeMutableRawPointer, count: Int, protection: MemoryProtection) {
        self.base = base
        self.count = count
        self.protection = protection
    }

    deinit { munmap(base, count) }

    /// Reads the mapped bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Writes the mapped bytes; the mapping must be writable (a programming error otherwise).
    public func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        precondition(protection.contains(.write), "MappedRegion.withUnsafeMutableBytes on a mapping without .write")
        return try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Changes the mapping's access (`mprotect`). Making a mapping of a sealed memfd
    /// writable fails: that is what the seal is for.
    public mutating func protect(_ newProtection: MemoryProtection) throws(Errno) {
        _ = try systemCall { mprotect(base, count, newProtection.rawValue) }
        protection = newProtection
    }
}
