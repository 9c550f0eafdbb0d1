// Pool cross-process test: a slice the broker writes is read by another process's read-only mapping.
import Foundation
import Testing
@testable import BusPlatform

/// The client is a real second process (/usr/bin/python3): it receives the pool memfd over a
/// socketpair, maps it read-only, tries to write it two ways, and echoes back the slices it
/// is told to read.
@Suite(.timeLimit(.minutes(1))) struct PoolCrossProcessTests {
    private static let client = #"""
    import mmap, os, socket
    s = socket.socket(fileno=0)
    s.setblocking(True)
    msg, fds, _, _ = socket.recv_fds(s, 256, 1)
    fd = fds[0]
    size = os.fstat(fd).st_size
    view = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
    def attempt(action):
        try:
            action()
            return "WROTE"
        except PermissionError:
            return "EPERM"
    status = attempt(lambda: mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE))
    status += " " + attempt(lambda: os.pwrite(fd, b"x", 0))
    s.sendall(status.encode() + b"\n")
    while msg:
        offset, length = map(int, msg.split())
        s.sendall(view[offset:offset + length])
        msg = s.recv(256)
    """#

    private func receiveExactly(_ count: Int, from socket: borrowing UnixSocket) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var list = DescriptorList()
        var control = ControlBuffer()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < count {
            let received = try chunk.withUnsafeMutableBytes { buffer in
                try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, count - bytes.count)]),
                                   descriptors: &list, control: &control)
            }
            try #require(received.byteCount > 0, "the client hung up after \(bytes.count) of \(count) bytes")
            bytes += chunk.prefix(received.byteCount)
        }
        return bytes
    }

    @Test func sliceWrittenByTheBrokerIsReadByAnotherProcess() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"))
        let size = 1024 * 1024
        var pool = try ReceivePool.create(size: size)
        let pair = try UnixSocket.pair()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.client]
        process.standardInput = FileHandle(fileDescriptor: pair.second.descriptor.rawValue, closeOnDealloc: false)
        // Blocking reads keep the test simple; the suite's time limit catches a hung client.
        _ = fcntl(pair.first.descriptor.rawValue, F_SETFL, 0)
        try process.run()
        defer { process.waitUntilExit() }

        let first = try pool.allocate(4096 + 13)
        let pattern = (0..<first.length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        pattern.withUnsafeBytes { pool.write($0, into: first) }
        var descriptors = DescriptorList()
        descriptors.append(try pool.descriptorForClient())
        _ = try Array("\(first.offset) \(first.length)".utf8).withUnsafeBytes { try pair.first.send($0, descriptors: descriptors) }
        #expect(try receiveExactly(12, from: pair.first) == Array("EPERM EPERM\n".utf8), "the client could not write the pool")
        #expect(try receiveExactly(first.length, from: pair.first) == pattern)

        // A second slice, written after the client mapped the pool, is visible to it too.
        let second = try pool.allocate(256 * 1024)
        let other = [UInt8](repeating: 0xA5, count: second.length)
        other.withUnsafeBytes { pool.write($0, into: second) }
        _ = try Array("\(second.offset) \(second.length)".utf8).withUnsafeBytes { try pair.first.send($0) }
        #expect(try receiveExactly(second.length, from: pair.first) == other)
        try pair.first.shutdownWriting()
    }
}
