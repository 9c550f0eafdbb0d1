// Value Tests
import Testing
@testable import DBusWire

@Suite struct ValueTests {
    @Test func valuesKnowTheirTypes() {
        #expect(DBusValue.bytes([1, 2]).type == .array(.byte))
        #expect(DBusValue.structure([.int32(1), .string("x")]).type == .structure([.int32, .string]))
        #expect(DBusValue.dictionary(key: .string, value: .variant, []).type == .dictionary(key: .string, value: .variant))
        #expect(DBusValue.variant(.uint64(1)).type == .variant)
        #expect(DBusValue.unixFD(0).type.signatureString == "h")
    }

    @Test func byteArraysMarshalTheSameEitherWay() throws {
        var a = WireWriter(byteOrder: .little)
        try a.append(.bytes([7, 8, 9]))
        var b = WireWriter(byteOrder: .little)
        try b.append(.array(element: .byte, [.byte(7), .byte(8), .byte(9)]))
        #expect(a.bytes == b.bytes)
    }

    @Test func decodingNormalisesByteArraysToBytes() throws {
        var writer = WireWriter(byteOrder: .big)
        try writer.append(.array(element: .byte, [.byte(7), .byte(8)]))
        let value = try writer.bytes.withUnsafeBytes { raw throws in
            var reader = WireReader(buffer: raw, byteOrder: .big)
            return try reader.readValue(of: .array(.byte))
        }
        #expect(value == .bytes([7, 8]))
    }

    @Test func wireStringComparesWithoutCopying() throws {
        let bytes: [UInt8] = [5, 0, 0, 0] + Array("Hello".utf8) + [0]
        try bytes.withUnsafeBytes { raw throws in
            var reader = WireReader(buffer: raw, byteOrder: .little)
            let name = try reader.readString()
            #expect(name == "Hello" as StaticString)
            #expect(name == String("Hello"))
            #expect(!(name == "Hellp" as StaticString))
            #expect(!(name == "Hell" as StaticString))
            #expect(name.string == "Hello")
            #expect(name.bytes.baseAddress == raw.baseAddress! + 4)
        }
    }
}
