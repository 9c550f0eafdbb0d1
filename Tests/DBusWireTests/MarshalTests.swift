// Marshal Tests
import Testing
@testable import DBusWire

@Suite struct MarshalTests {
    @Test func writesEachBasicTypeInBothOrders() throws {
        func write(_ order: ByteOrder) throws -> [UInt8] {
            var w = WireWriter(byteOrder: order)
            w.appendByte(0xAB)
            w.appendInt16(-2)  // aligned to 2: one pad byte
            w.appendUInt32(0x0102_0304)
            w.appendDouble(1.0)  // aligned to 8
            try w.appendString("hi")
            return w.bytes
        }
        #expect(try write(.little) == Hex.bytes("ab00feff04030201" + "000000000000f03f" + "02000000686900"))
        #expect(try write(.big) == Hex.bytes("ab00fffe01020304" + "3ff0000000000000" + "00000002686900"))
    }

    @Test func emptyArrayStillPadsToItsElementAlignment() throws {
        var writer = WireWriter(byteOrder: .little)
        try writer.append(.array(element: .uint64, []))
        #expect(writer.bytes == [0, 0, 0, 0, 0, 0, 0, 0])
        try writer.append(.array(element: .structure([.byte]), []))
        #expect(writer.bytes.count == 16)  // length at 8, then padding to 16
    }

    @Test func arrayLengthExcludesPaddingBeforeFirstElement() throws {
        var writer = WireWriter(byteOrder: .little)
        try writer.append(.array(element: .int64, [.int64(1), .int64(2)]))
        #expect(writer.bytes.prefix(4) == [16, 0, 0, 0])
        #expect(writer.count == 24)
    }

    @Test func resetKeepsCapacity() throws {
        var writer = WireWriter(byteOrder: .little, reservingCapacity: 1024)
        try writer.appendString(String(repeating: "x", count: 500))
        let capacity = writer.bytes.capacity
        writer.reset(byteOrder: .big)
        #expect(writer.count == 0)
        #expect(writer.bytes.capacity == capacity)
        #expect(writer.byteOrder == .big)
    }

    @Test func refusesAStringWithNul() {
        var writer = WireWriter(byteOrder: .little)
        let error = wireError { () throws(WireError) in try writer.appendString("a\u{0}b") }
        #expect(error == WireError(.stringContainsNul, at: 5))
    }

    @Test func refusesAnElementOfTheWrongType() {
        var writer = WireWriter(byteOrder: .little)
        let error = wireError { () throws(WireError) in try writer.append(.array(element: .int32, [.string("x")])) }
        #expect(error?.rule == .valueTypeMismatch(expected: "i", found: "s"))
    }

    @Test func refusesAnInvalidObjectPath() {
        var writer = WireWriter(byteOrder: .little)
        let error = wireError { () throws(WireError) in try writer.append(.objectPath("/a/")) }
        #expect(error?.rule == .invalidName(NameError(kind: .objectPath, rule: .trailingSlash, offset: 2)))
    }

    @Test func readerWalksAnArrayWithoutCopying() throws {
        var writer = WireWriter(byteOrder: .big)
        try writer.append(.array(element: .string, [.string("ab"), .string("c")]))
        try writer.bytes.withUnsafeBytes { raw throws in
            var reader = WireReader(buffer: raw, byteOrder: .big)
            let array = try reader.beginArray(elementAlignment: 4)
            var seen: [String] = []
            while try reader.hasMoreElements(in: array) { seen.append(try reader.readString().string) }
            #expect(seen == ["ab", "c"])
            #expect(reader.position == raw.count)
        }
    }

    @Test func readerCountsAlignmentFromTheMessageStart() throws {
        // A uint32 at buffer index 7 is aligned when the message starts at index 3.
        let raw: [UInt8] = [9, 9, 9, 0x11, 0, 0, 0, 0x2A, 0, 0, 0]
        try raw.withUnsafeBytes { buffer throws in
            var reader = WireReader(buffer: buffer, byteOrder: .little, messageStart: 3)
            #expect(try reader.readByte() == 0x11)
            #expect(try reader.readUInt32() == 42)
        }
    }

    @Test func readsEveryBasicTypeBack() throws {
        for order in ByteOrder.allCases {
            let values: [DBusValue] = [
                .byte(200), .boolean(true), .int16(-300), .uint16(60000), .int32(-70000), .uint32(4_000_000_000),
                .int64(-1 << 40), .uint64(1 << 63), .double(-2.5), .string("ünïcödé"), .objectPath("/a/b"),
                .signature(try Signature("a{sv}")), .unixFD(1),
            ]
            var writer = WireWriter(byteOrder: order)
            for value in values { try writer.append(value) }
            let decoded = try writer.bytes.withUnsafeBytes { raw throws in
                var reader = WireReader(buffer: raw, byteOrder: order, unixFDCount: 2)
                var out: [DBusValue] = []
                for value in values { out.append(try reader.readValue(of: value.type)) }
                #expect(reader.position == raw.count)
                return out
            }
            #expect(decoded == values)
        }
    }
}
