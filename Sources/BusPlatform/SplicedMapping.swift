// Spliced Mapping: a few bytes and a memfd, contiguous in memory without copying the memfd.
import Glibc

/// A read-only view of `head` followed by the first `length` bytes of a file, in one
/// contiguous range of memory. The file is mapped, not copied: the bytes of `head` are
/// copied into anonymous pages so that they end exactly at a page boundary, and the file is
/// mapped right after it (`MAP_FIXED` into a range reserved first). For a message whose last
/// part is a sealed memfd (docs/kdbus-transport.md §8: typically one large `ay`), the whole
/// message can be validated and read in place, and only the pages someone reads are touched.
///
/// Invariant: `base` starts a live mapping of `regionLength` bytes made by `map`, unmapped
/// exactly once, in deinit; the view is `[start, start + count)` within it. The file must not
/// shrink while mapped (a payload memfd carries `F_SEAL_SHRINK`): reading a page past its end
/// would fault.
public struct SplicedMapping: ~Copyable {
    private let base: UnsafeMutableRawPointer
    private let regionLength: Int
    private let start: Int
    /// `head.count + length`.
    public let count: Int

    /// Maps `head` and `length` bytes of `file` from offset 0 (length > 0), read-only.
    public static func map(head: UnsafeRawBufferPointer, file: borrowing FileDescriptor, length: Int) throws(Errno) -> SplicedMapping {
        guard length > 0 else { throw .invalidArgument }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let headPages = (head.count + page - 1) / page * page
        let filePages = (length + page - 1) / page * page
        let regionLength = headPages + filePages
        // Reserve the whole range at once so the file's pages land right after the head.
        guard let reserved = mmap(nil, regionLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              reserved != MAP_FAILED else { throw Errno.current }
        let start = headPages - head.count
        if head.count > 0 { (reserved + start).copyMemory(from: head.baseAddress!, byteCount: head.count) }
        let placed = mmap(reserved + headPages, length, PROT_READ, MAP_SHARED | MAP_FIXED, file.rawValue, 0)
        guard let placed, placed != MAP_FAILED else {
            let error = Errno.current
            munmap(reserved, regionLength)
            throw error
        }
        if headPages > 0 { mprotect(reserved, headPages, PROT_READ) }
        return SplicedMapping(base: reserved, regionLength: regionLength, start: start, count: head.count + length)
    }

    private init(base: UnsafeMutableRawPointer, regionLength: Int, start: Int, count: Int) {
        self.base = base
        self.regionLength = regionLength
        self.start = start
        self.count = count
    }

    deinit { munmap(base, regionLength) }

    /// Reads the head and the file's bytes as one buffer.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base + start, count: count))
    }
}
