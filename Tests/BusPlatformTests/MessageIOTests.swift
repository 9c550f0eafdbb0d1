// Message I/O tests: descriptor passing, MSG_CTRUNC, per-message credentials.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct MessageIOTests {
    /// Sends one byte with `count` descriptors, each a fresh pipe read end.
    private func sendDescriptors(_ count: Int, over socket: borrowing UnixSocket) throws -> Int {
        var list = DescriptorList()
        for _ in 0..<count {
            let pipe = try Pipe.make()
            list.append(pipe.readEnd)
        }
        var byte: UInt8 = 42
        return try withUnsafeBytes(of: &byte) { try socket.send($0, descriptors: list) }
    }

    private func receive(
        from socket: borrowing UnixSocket, into list: inout DescriptorList, control: inout ControlBuffer
    ) throws(ReceiveError) -> ReceiveResult {
        var byte: UInt8 = 0
        return try withUnsafeMutableBytes(of: &byte) { buffer throws(ReceiveError) in
            try socket.receive(into: buffer, descriptors: &list, control: &control)
        }
    }

    @Test func oneDescriptorArrivesUsableAndCloseOnExec() throws {
        let pair = try UnixSocket.pair()
        let pipe = try Pipe.make()
        var list = DescriptorList()
        list.append(try pipe.writeEnd.duplicate())
        var byte: UInt8 = 1
        #expect(try withUnsafeBytes(of: &byte) { try pair.first.send($0, descriptors: list) } == 1)
        let listCount = list.count
        #expect(listCount == 1, "sending lends the descriptors; the sender keeps them")

        var received = DescriptorList()
        var control = ControlBuffer()
        let result = try receive(from: pair.second, into: &received, control: &control)
        #expect(result.byteCount == 1)
        let receivedCount = received.count
        #expect(receivedCount == 1)
        let writer = try unwrap(received.take(at: 0), "the passed descriptor")
        #expect(try writer.isCloseOnExec())
        // The passed descriptor is the same pipe: what we write through it comes out of the read end.
        var text = Array("via fd".utf8)
        #expect(try text.withUnsafeBytes { try writer.write($0) } == 6)
        var readBack = [UInt8](repeating: 0, count: 16)
        let count = try readBack.withUnsafeMutableBytes { try pipe.readEnd.read(into: $0) }
        #expect(String(decoding: readBack.prefix(count), as: UTF8.self) == "via fd")
        text.removeAll()
    }

    @Test func theKernelMaximumOf253DescriptorsArrivesWhole() throws {
        let pair = try UnixSocket.pair()
        #expect(try sendDescriptors(PlatformLimits.maxDescriptorsPerMessage, over: pair.first) == 1)
        var received = DescriptorList()
        var control = ControlBuffer()
        _ = try receive(from: pair.second, into: &received, control: &control)
        let receivedCount = received.count
        #expect(receivedCount == 253)
        for index in 0..<receivedCount {
            let raw = received.rawValue(at: index)
            #expect(isOpen(raw))
        }
    }

    @Test func the254thDescriptorIsRefusedByTheKernelAndNothingIsSent() throws {
        let pair = try UnixSocket.pair()
        #expect(throws: Errno.invalidArgument) {
            _ = try sendDescriptors(PlatformLimits.maxDescriptorsPerMessage + 1, over: pair.first)
        }
        var received = DescriptorList()
        var control = ControlBuffer()
        #expect(throws: ReceiveError.system(.wouldBlock)) {
            _ = try receive(from: pair.second, into: &received, control: &control)
        }
    }

    @Test func tooManyDescriptorsForTheControlBufferIsTruncationAndArrivalsAreClosed() throws {
        let pair = try UnixSocket.pair()
        // Eight copies of one pipe's write end travel; once every copy is closed the
        // read end sees end-of-file, so a leaked copy would show as EAGAIN instead.
        var raw: [CInt] = [-1, -1]
        #expect(pipe(&raw) == 0)
        #expect(fcntl(raw[0], F_SETFL, O_NONBLOCK) == 0)
        let readEnd = FileDescriptor(owning: raw[0])
        do {
            let writeEnd = FileDescriptor(owning: raw[1])
            var list = DescriptorList()
            for _ in 0..<8 { list.append(try writeEnd.duplicate()) }
            var byte: UInt8 = 42
            #expect(try withUnsafeBytes(of: &byte) { try pair.first.send($0, descriptors: list) } == 1)
        }
        var received = DescriptorList()
        var control = ControlBuffer(maxDescriptors: 2, credentials: false)
        #expect {
            _ = try receive(from: pair.second, into: &received, control: &control)
        } throws: { error in
            guard case .controlTruncated(let bytes, let closed, let room) = error as? ReceiveError else { return false }
            return bytes == 1 && closed == 2 && room == 2
        }
        let receivedIsEmpty = received.isEmpty
        #expect(receivedIsEmpty, "a truncated message hands over no descriptors")
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(try buffer.withUnsafeMutableBytes { try readEnd.read(into: $0) } == 0)
    }

    @Test func emptyListSendsPlainBytes() throws {
        let pair = try UnixSocket.pair()
        let list = DescriptorList()
        var byte: UInt8 = 9
        #expect(try withUnsafeBytes(of: &byte) { try pair.first.send($0, descriptors: list) } == 1)
        var received = DescriptorList()
        var control = ControlBuffer()
        #expect(try receive(from: pair.second, into: &received, control: &control).byteCount == 1)
        let receivedIsEmpty = received.isEmpty
        #expect(receivedIsEmpty)
    }

    @Test func descriptorListClosesWhatItStillOwns() throws {
        let pipe = try Pipe.make()
        let raw: CInt
        do {
            var list = DescriptorList()
            list.append(try pipe.readEnd.duplicate())
            raw = list.rawValue(at: 0)
            #expect(isOpen(raw))
        }
        #expect(!isOpen(raw))
    }

    @Test func passCredentialsReportsTheSenderPerMessage() throws {
        let pair = try UnixSocket.pair()
        try pair.second.setPassCredentials(true)
        #expect(try sendText("c", over: pair.first) == 1)
        var received = DescriptorList()
        var control = ControlBuffer()
        let result = try receive(from: pair.second, into: &received, control: &control)
        #expect(result.credentials == ProcessCredentials(processID: getpid(), userID: getuid(), groupID: getgid()))
    }

    @Test func withoutPassCredentialsNoneAreReported() throws {
        let pair = try UnixSocket.pair()
        #expect(try sendText("c", over: pair.first) == 1)
        var received = DescriptorList()
        var control = ControlBuffer()
        #expect(try receive(from: pair.second, into: &received, control: &control).credentials == nil)
    }
}
