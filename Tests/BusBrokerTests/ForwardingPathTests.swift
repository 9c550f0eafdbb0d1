// Forwarding Path Tests: messages cut at awkward places on their way in, and large bodies
// handed over instead of copied, arrive whole and in order (a real swiftbusd).
import BusPlatform
import DBusWire
import Glibc
import Testing

@Suite("Forwarding path: shared read buffer, partial messages, handed-over bodies")
struct ForwardingPathTests {
    /// Chunk sizes the caller writes in turn: a byte, less than a fixed header, a header
    /// and a bit, and pieces around the broker's 64 KiB shared read buffer.
    static let chunkSizes = [1, 7, 13, 30, 4096, 65_535, 2, 70_000, 100_000]

    @Test("small and large messages written in odd chunks reach the callee intact, in order, with SENDER set")
    func oddChunks() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let service = try TestClient(address: broker.address)
        let caller = try TestClient(address: broker.address)
        try service.connect()
        try caller.connect()
        _ = try service.call(driverCall("RequestName", [.string("com.example.Chunks"), .uint32(0)]))
        // Sizes around every boundary the broker has: tiny, just under and over the shared
        // buffer, and well past the 16 KiB hand-over threshold.
        let sizes = [0, 1, 9, 200, 16_383, 16_384, 65_000, 65_536, 70_000, 300_000, 3]
        var stream: [UInt8] = []
        for (index, size) in sizes.enumerated() {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            var call = Message.methodCall(path: "/chunks", interface: "com.example.Chunks", member: "Put",
                                          destination: "com.example.Chunks", body: [.bytes(payload)], flags: .noReplyExpected)
            call.serial = UInt32(1000 + index)
            call.sender = ":1.9999"  // forged: the broker must replace it
            stream += try call.encoded()
        }
        var offset = 0
        var turn = 0
        while offset < stream.count {
            let size = min(Self.chunkSizes[turn % Self.chunkSizes.count], stream.count - offset)
            try caller.sendRaw(Array(stream[offset..<(offset + size)]))
            offset += size
            turn += 1
            usleep(1000)  // give the broker a chance to read each piece on its own
        }
        for (index, size) in sizes.enumerated() {
            let message = try service.receive { $0.member == "Put" }
            #expect(message.serial == UInt32(1000 + index))
            #expect(message.sender == caller.uniqueName)
            let expected = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            #expect(message.body == [.bytes(expected)], "message \(index) of \(size) bytes")
        }
        let disconnects = broker.log.split(separator: "\n").filter { $0.contains("disconnecting") }
        #expect(disconnects.isEmpty, "\(disconnects)")
    }
}
