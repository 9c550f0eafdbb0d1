// Spliced Mapping: bytes, a memfd and bytes, contiguous in memory without copying the memfd.
import Glibc

/// A read-only view of `head`, then the first `length` bytes of a file, then `tail`, in one
/// contiguous range of memory. The file is mapped, not copied: `head` is copied into
/// anonymous pages so that it ends exactly at a page boundary, the file's whole pages are
/// mapped right after it (`MAP_FIXED` into a range reserved first), and the file's last
/// partial page and `tail` are copied into anonymous pages after those. A message with one
/// large sealed memfd part (docs/kdbus-transport.md §8) can so be validated and read in
/// place whatever surrounds that part, and only the pages someone reads are touched. Only
/// one file per view: a second would have to start on a page boundary too, which the bytes
/// between them rarely allow.
///
/// Invariant: `base` starts a live mapping of `regionLength` bytes made by `map`, unmapped
/// exactly once, in deinit; the view is `[start, start + count)` within it. The file must not
/// shrink while mapped (a payload memfd carries `F_SEAL_SHRINK`): reading a page past its end
/// would fault.
public struct SplicedMapping: ~Copyable {
    private let base: UnsafeMutableRawPointer
    private let regionLength: Int
    private let start: Int
    /// `head.count + length + tail.count`.
    public let count: Int

    /// Maps `head`, `length` bytes of `file` from offset 0 (length > 0) and `tail`, read-only.
    public static func map(head: UnsafeRawBufferPointer, file: borrowing FileDescriptor, length: Int,
                           tail: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws(Errno) -> SplicedMapping {
        guard length > 0 else { throw .invalidArgument }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let headPages = (head.count + page - 1) / page * page
        let mapped = length / page * page
        let copiedFromFile = length - mapped
        let tailPages = (copiedFromFile + tail.count + page - 1) / page * page
        let regionLength = headPages + mapped + tailPages
        // Reserve the whole range at once so the file's pages land right after the head.
        guard let reserved = mmap(nil, regionLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              reserved != MAP_FAILED else { throw Errno.current }
        let start = headPages - head.count
        if head.count > 0 { (reserved + start).copyMemory(from: head.baseAddress!, byteCount: head.count) }
        do throws(Errno) {
            if mapped > 0 {
                let placed = mmap(reserved + headPages, mapped, PROT_READ, MAP_SHARED | MAP_FIXED, file.rawValue, 0)
                guard let placed, placed != MAP_FAILED else { throw Errno.current }
            }
            let after = reserved + headPages + mapped
            try readFully(file, into: UnsafeMutableRawBufferPointer(start: after, count: copiedFromFile), at: mapped)
            if tail.count > 0 { (after + copiedFromFile).copyMemory(from: tail.baseAddress!, byteCount: tail.count) }
        } catch {
            munmap(reserved, regionLength)
            throw error
        }
        if headPages > 0 { mprotect(reserved, headPages, PROT_READ) }
        if tailPages > 0 { mprotect(reserved + headPages + mapped, tailPages, PROT_READ) }
        return SplicedMapping(base: reserved, regionLength: regionLength, start: start, count: head.count + length + tail.count)
    }

    /// Reads exactly `target.count` bytes of `file` from `offset`.
    private static func readFully(_ file: borrowing FileDescriptor, into target: UnsafeMutableRawBufferPointer, at offset: Int) throws(Errno) {
        var done = 0
        while done < target.count {
            let count = pread(file.rawValue, target.baseAddress! + done, target.count - done, off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw Errno.current
            }
            if count == 0 { throw Errno(rawValue: EIO) }
            done += count
        }
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
