// Wire Hole Tests: a message marshalled with its large byte arrays left out is the same message.
import DBusWire
import Testing

@Suite("wire writer holes")
struct WireHoleTests {
    static func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed } }

    @Test("arrays at or above the threshold become holes; put back, the bytes equal the whole encoding, in every position",
          arguments: [1, 3, 4, 7, 8, 13, 100])
    func holesJoinToTheWholeMessage(length: Int) throws {
        var message = Message.signal(path: "/a", interface: "a.b", member: "C", body: [
            .bytes(Self.bytes(length, 1)),
            .uint64(7),
            .bytes(Self.bytes(length + 1, 2)),
            .string("after"),
            .array(element: .structure([.byte, .array(.byte)]), [.structure([.byte(9), .bytes(Self.bytes(length, 3))])]),
            .variant(.bytes(Self.bytes(length + 2, 4))),
            .bytes([1]),
            .double(2.5),
        ])
        message.serial = 3
        let whole = try message.encoded()
        let (bytes, holes) = try message.encodedWithHoles(limits: .specification, holeThreshold: length)
        #expect(holes.count == (length == 1 ? 5 : 4), "every array of \(length) bytes or more, nested ones too")
        #expect(holes.map(\.contents.count).reduce(0, +) + bytes.count == whole.count)
        #expect(WireHole.joined(bytes, holes) == whole, "joined again, the holes are the whole encoding")
        let (none, noHoles) = try message.encodedWithHoles(limits: .specification, holeThreshold: .max)
        #expect(noHoles.isEmpty && none == whole)
    }

    @Test("a hole counts against the array and message limits as if it were written")
    func holesCountAgainstLimits() {
        var message = Message.signal(path: "/a", interface: "a.b", member: "C",
                                     body: [.bytes([UInt8](repeating: 0, count: ProtocolLimits.maxArrayLength + 1))])
        message.serial = 1
        let error = #expect(throws: WireError.self) { _ = try message.encodedWithHoles(limits: .specification, holeThreshold: 4096) }
        #expect(error?.rule == .arrayTooLong(ProtocolLimits.maxArrayLength + 1, limit: ProtocolLimits.maxArrayLength))
    }
}
