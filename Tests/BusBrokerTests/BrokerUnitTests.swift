// Broker Unit Tests: the broker's small concepts on their own (name keys, unique-name
// parsing, the input buffer and the output queue over a real socket pair).
@testable import BusBroker
import BusPlatform
import DBusWire
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

    @Test("the input buffer reads into the shared buffer when empty and keeps only a partial message of its own")
    func inputBuffer() {
        let shared = SharedReadBuffer(capacity: 16)
        var buffer = InputBuffer()
        let first = buffer.freeSpace(sharing: shared)
        #expect(first.baseAddress == shared.storage)
        #expect(first.count == 16)
        for index in 0..<8 { first[index] = UInt8(index) }
        buffer.didRead(8)
        buffer.consume(5)
        #expect(Array(buffer.unread) == [5, 6, 7])
        buffer.reserve(messageLength: 2000)
        buffer.settle()
        // The partial message moved out of the shared buffer into storage sized for it.
        shared.storage.storeBytes(of: 0xFF, toByteOffset: 5, as: UInt8.self)
        #expect(Array(buffer.unread) == [5, 6, 7])
        let kept = buffer.ownCapacity
        #expect(kept == 2000)
        let space = buffer.freeSpace(sharing: shared)
        #expect(space.baseAddress != shared.storage)
        #expect(space.count == 1997)
        space[0] = 8
        buffer.didRead(1)
        #expect(Array(buffer.unread) == [5, 6, 7, 8])
        buffer.consume(4)
        buffer.settle()
        let drained = buffer.isEmpty
        #expect(drained)
        // Empty again: the next read goes to the shared buffer; small own storage is kept.
        let nextRead = buffer.freeSpace(sharing: shared).baseAddress
        #expect(nextRead == shared.storage)
        buffer.settle()
        let keptAfterwards = buffer.ownCapacity
        #expect(keptAfterwards == 2000)
    }

    @Test("the input buffer frees large storage once empty and hands over storage holding one whole message")
    func inputBufferLargeMessages() {
        let shared = SharedReadBuffer(capacity: 16)
        var buffer = InputBuffer()
        let first = buffer.freeSpace(sharing: shared)
        first.initializeMemory(as: UInt8.self, repeating: 7)
        buffer.didRead(16)
        let big = BrokerLimits.keptInputCapacity + 1
        buffer.reserve(messageLength: big)
        buffer.settle()
        let rest = buffer.freeSpace(sharing: shared)
        #expect(rest.count == big - 16)
        rest.initializeMemory(as: UInt8.self, repeating: 9)
        buffer.didRead(rest.count)
        let message = buffer.unread
        // Not the whole message: no hand-over.
        let partial = buffer.takeStorage(holding: UnsafeRawBufferPointer(rebasing: message[0..<100]))
        #expect(partial == nil)
        let taken = buffer.takeStorage(holding: message)
        #expect(taken != nil)
        let emptied = buffer.isEmpty
        #expect(emptied)
        buffer.consume(big)  // void after the hand-over
        let stillEmpty = buffer.isEmpty
        #expect(stillEmpty)
        let capacityAfterHandOver = buffer.ownCapacity
        #expect(capacityAfterHandOver == 0)
        if let taken {
            #expect(taken.load(fromByteOffset: 0, as: UInt8.self) == 7)
            #expect(taken.load(fromByteOffset: big - 1, as: UInt8.self) == 9)
            taken.deallocate()
        }
        // A large buffer drained by consuming is freed at the next read.
        let again = buffer.freeSpace(sharing: shared)
        again.initializeMemory(as: UInt8.self, repeating: 1)
        buffer.didRead(16)
        buffer.reserve(messageLength: big)
        buffer.settle()
        let tail = buffer.freeSpace(sharing: shared)
        buffer.didRead(tail.count)
        buffer.consume(big)
        let drainedCapacity = buffer.ownCapacity
        #expect(drainedCapacity == big)
        let readAfterBurst = buffer.freeSpace(sharing: shared).baseAddress
        #expect(readAfterBurst == shared.storage)
        buffer.settle()
        let capacityAfterBurst = buffer.ownCapacity
        #expect(capacityAfterBurst == 0)
    }

    @Test("the output queue writes forwarded messages rewritten, with a handed-over body sent in place", arguments: [false, true])
    func outputQueueForwarded(handOver: Bool) throws {
        let pair = try UnixSocket.pair()
        var queue = OutputQueue()
        let payload = (0..<40_000).map { UInt8(truncatingIfNeeded: $0) }
        let call = Message(type: .methodCall, serial: 7, path: "/p", interface: "a.b", member: "Put",
                           destination: ":1.9", sender: ":1.666", body: [.bytes(payload)])
        let encoded = try call.encoded()
        // The message in storage of its own, as InputBuffer.takeStorage hands it over.
        let storage = UnsafeMutableRawPointer.allocate(byteCount: encoded.count, alignment: 8)
        encoded.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let view = try MessageHeaderView(validating: UnsafeRawBufferPointer(start: storage, count: encoded.count))
        let name = Array(":1.42".utf8)
        let headerLength = name.withUnsafeBytes { view.rewrittenHeaderLength(senderLength: $0.count) }
        name.withUnsafeBytes {
            queue.appendForwarded(view, sender: $0, headerLength: headerLength, bodyIn: handOver ? storage : nil, fds: [])
        }
        if !handOver { storage.deallocate() }
        Array("tail".utf8).withUnsafeBytes { queue.append($0) }
        let queued = queue.queuedBytes
        #expect(queued == headerLength + payload.count + 4 + 4)
        var received: [UInt8] = []
        var list = DescriptorList()
        var control = ControlBuffer()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !queue.isEmpty || received.count < queued {
            _ = try queue.flush(to: pair.first)
            let result = try chunk.withUnsafeMutableBytes { try pair.second.receive(into: $0, descriptors: &list, control: &control) }
            received += chunk[0..<result.byteCount]
        }
        var expected = call
        expected.sender = ":1.42"
        #expect(try Message(decoding: Array(received.dropLast(4))) == expected)
        #expect(Array(received.suffix(4)) == Array("tail".utf8))
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
