// Pool Error: why a pool or arena operation failed, with the figures to act on.

/// What went wrong with a receive pool, pool view or send arena. `full` is expected (the
/// broker turns it into LimitsExceeded or a lost broadcast); the others mean a peer sent
/// an offset it should not have, or the memory object is not what the protocol requires.
public enum PoolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No free range of `requested` bytes (rounded to 8) remains; `freeBytes` are free in
    /// all, the largest range is `largestFree`.
    case full(requested: Int, freeBytes: Int, largestFree: Int)
    /// A FREE named an offset that is not the start of a slice in use.
    case unknownSlice(offset: Int)
    /// A range outside the region (`size` bytes) or inside a part it may not touch.
    case outOfBounds(offset: Int, length: Int, size: Int)
    /// A received memfd lacks seals the protocol requires.
    case missingSeals(required: FileSeals, found: FileSeals)
    /// A received memfd is not the negotiated size.
    case wrongSize(expected: Int, found: Int)
    /// A size outside `PoolLimits.minimumSize...PoolLimits.maximumSize`, or a zero-length request.
    case invalidSize(Int)
    /// A system call failed.
    case system(Errno)

    public var description: String {
        switch self {
        case .full(let requested, let freeBytes, let largestFree):
            "pool full: \(requested) bytes requested, \(freeBytes) free, largest free range \(largestFree)"
        case .unknownSlice(let offset): "no slice in use starts at offset \(offset)"
        case .outOfBounds(let offset, let length, let size): "range [\(offset), +\(length)) outside the \(size)-byte region"
        case .missingSeals(let required, let found): "memfd seals \(found), need at least \(required)"
        case .wrongSize(let expected, let found): "memfd is \(found) bytes, negotiated \(expected)"
        case .invalidSize(let size): "size \(size) outside \(PoolLimits.minimumSize)...\(PoolLimits.maximumSize)"
        case .system(let errno): "system call failed: \(errno)"
        }
    }
}
