// Spliced Mapping Tests: head bytes, a memfd and tail bytes read as one buffer, the memfd's whole pages not copied.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct SplicedMappingTests {
    /// The bytes a test file holds: a pattern that differs from page to page.
    private static func pattern(_ length: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 4096) }
    }

    private static func file(holding bytes: [UInt8]) throws -> FileDescriptor {
        let file = try MemoryFile.create(name: "swiftbus-test-splice", size: bytes.count)
        let written = bytes.withUnsafeBytes { pwrite(file.rawValue, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { throw Errno.current }
        return file
    }

    /// Maps `head` + `length` bytes of `file` + `tail` and reads them with `body`.
    private static func read<R>(head: [UInt8], file: borrowing FileDescriptor, length: Int, tail: [UInt8] = [],
                                _ body: (UnsafeRawBufferPointer) -> R) throws(Errno) -> R {
        let outcome = head.withUnsafeBytes { bytes in
            tail.withUnsafeBytes { after in
                Result { () throws(Errno) in
                    try SplicedMapping.map(head: bytes, file: file, length: length, tail: after).withUnsafeBytes(body)
                }
            }
        }
        return try outcome.get()
    }

    @Test("head then file, contiguous and equal to their concatenation", arguments: [
        (0, 1), (1, 4096), (27, 5000), (4095, 3), (4096, 8192), (5000, 70_000),
    ])
    func readsHeadThenFile(headLength: Int, fileLength: Int) throws {
        let head = (0..<headLength).map { UInt8(truncatingIfNeeded: 200 &+ $0) }
        let contents = Self.pattern(fileLength)
        let file = try Self.file(holding: contents)
        let seen = try Self.read(head: head, file: file, length: fileLength) { Array($0) }
        #expect(seen == head + contents)
    }

    @Test("head, file and tail, contiguous and equal to their concatenation", arguments: [
        (0, 1, 1), (27, 4096, 5), (4095, 5000, 4096), (0, 8192, 9000), (100, 70_001, 3),
    ])
    func readsHeadFileTail(headLength: Int, fileLength: Int, tailLength: Int) throws {
        let head = (0..<headLength).map { UInt8(truncatingIfNeeded: 200 &+ $0) }
        let tail = (0..<tailLength).map { UInt8(truncatingIfNeeded: 100 &+ $0 &* 3) }
        let contents = Self.pattern(fileLength)
        let file = try Self.file(holding: contents)
        let seen = try Self.read(head: head, file: file, length: fileLength, tail: tail) { Array($0) }
        #expect(seen == head + contents + tail)
    }

    @Test("the file's whole pages are the file itself, not a copy: a write to them while mapped is seen")
    func mapsTheFileItself() throws {
        let file = try Self.file(holding: Self.pattern(10_000))
        let seen = try Self.read(head: [UInt8](repeating: 1, count: 100), file: file, length: 10_000, tail: [9]) { bytes -> UInt8 in
            var marker: UInt8 = 0xEE
            _ = pwrite(file.rawValue, &marker, 1, 8_191)
            return bytes[100 + 8_191]
        }
        #expect(seen == 0xEE)
    }

    @Test("a zero length or a descriptor that cannot be mapped is an error, not a crash")
    func refusesWhatCannotBeMapped() throws {
        let file = try Self.file(holding: Self.pattern(100))
        #expect(throws: Errno.self) { try Self.read(head: [], file: file, length: 0) { $0.count } }
        var ends: [CInt] = [-1, -1]
        #expect(pipe(&ends) == 0)
        close(ends[1])
        let unmappable = FileDescriptor(owning: ends[0])
        #expect(throws: Errno.self) { try Self.read(head: [1], file: unmappable, length: 100) { $0.count } }
    }
}
