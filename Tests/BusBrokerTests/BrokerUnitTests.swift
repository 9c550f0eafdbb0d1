// Broker Unit Tests: the broker's small concepts on their own (name keys, unique-name
// parsing, the input buffer and the output queue over a real socket pair).
@testable import BusBroker
import BusPlatform
import Glibc
import Testing

@Suite("Broker building blocks")
struct BrokerUnitTests {
    @Test("a borrowed name key finds the owned key with the same bytes, and only it")
    func nameKeyLookup() {
        let table: [NameKey: Int] = [NameKey("com.example.A"): 1, NameKey("com.example.B"): 2]
        let probe = Array("com.example.B".utf8)
        let found = probe.withUnsafeBytes { table[NameKey(borrowing: $0)] }
        #expect(found == 2)
        let missing = Array("com.example.C".utf8).withUnsafeBytes { table[NameKey(borrowing: $0)] }
        #expect(missing == nil)
    }

    @Test("unique names parse to peer ids; other spellings do not", arguments: [
        (":1.0", UInt64?(0)), (":1.42", 42), (":1.18446744073709551615", UInt64.max),
        (":1.18446744073709551616", nil), (":1.042", nil), (":2.1", nil), (":1.", nil), (":1.x", nil), ("a.b", nil),
    ])
    func uniqueNames(text: String, expected: UInt64?) {
        let parsed = Array(text.utf8).withUnsafeBytes { UniqueNameParser.peer(from: $0) }
        #expect(parsed?.rawValue == expected)
    }

    @Test("the input buffer keeps unread bytes across compaction and growth")
    func inputBuffer() {
        var buffer = InputBuffer(capacity: 8)
        let first = buffer.freeSpace()
        for index in 0..<8 { first[index] = UInt8(index) }
        buffer.didRead(8)
        buffer.consume(5)
        #expect(Array(buffer.unread) == [5, 6, 7])
        buffer.reserve(messageLength: 20)
        let capacity = buffer.capacity
        #expect(capacity == 20)
        #expect(Array(buffer.unread) == [5, 6, 7])
        let space = buffer.freeSpace()
        #expect(space.count == 17)
        space[0] = 8
        buffer.didRead(1)
        #expect(Array(buffer.unread) == [5, 6, 7, 8])
        buffer.consume(4)
        let empty = buffer.isEmpty
        #expect(empty)
    }

    @Test("the output queue writes in order and sends each message's fds with it")
    func outputQueue() throws {
        let pair = try UnixSocket.pair()
        let writer = pair.first
        let reader = pair.second
        var queue = OutputQueue()
        var ends: [CInt] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let message: [UInt8] = Array("hello".utf8)
        message.withUnsafeBytes { queue.append($0) }
        let second: [UInt8] = Array("fd!".utf8)
        second.withUnsafeBytes { queue.append($0, fds: [ends[1]]) }
        let queuedBytes = queue.queuedBytes
        let queuedDescriptors = queue.queuedDescriptors
        #expect(queuedBytes == 8)
        #expect(queuedDescriptors == 1)
        let drained = try queue.flush(to: writer)
        #expect(drained)
        let empty = queue.isEmpty
        #expect(empty)
        var list = DescriptorList()
        var control = ControlBuffer()
        var bytes = [UInt8](repeating: 0, count: 64)
        var received: [UInt8] = []
        while received.count < 8 {
            let result = try bytes.withUnsafeMutableBytes { try reader.receive(into: $0, descriptors: &list, control: &control) }
            received += bytes[0..<result.byteCount]
        }
        #expect(received == Array("hellofd!".utf8))
        #expect(list.count == 1)
        // The queue closed its copy; the received one still reaches the pipe.
        let fd = try unwrapDescriptor(list.take(at: 0))
        #expect(write(fd.rawValue, "x", 1) == 1)
        var byte: UInt8 = 0
        #expect(read(ends[0], &byte, 1) == 1)
    }
}

struct MissingDescriptor: Error {}

/// `#require` cannot take noncopyable optionals.
func unwrapDescriptor(_ value: consuming FileDescriptor?) throws -> FileDescriptor {
    switch consume value {
    case .some(let descriptor): return descriptor
    case .none: throw MissingDescriptor()
    }
}
