// KDBus Parts Tests: large byte arrays split into sealed memfds and joined back, byte for byte.
import BusPlatform
import DBusWire
@testable import SwiftBus
import Testing

@Suite("kdbus message parts")
struct KDBusPartsTests {
    static let threshold = 4096

    static func message(byteOrder: ByteOrder) -> Message {
        let big = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let bigger = (0..<6001).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        var message = Message.methodCall(
            path: "/p", interface: "org.example.I", member: "M", destination: ":1.1",
            body: [.string("a"), .bytes(big), .uint32(7), .bytes([1, 2, 3]),
                   .structure([.byte(9), .bytes(bigger)]), .variant(.bytes(big)), .int64(-1)])
        message.byteOrder = byteOrder
        message.serial = 5
        return message
    }

    @Test("the finder locates exactly the byte arrays at or above the threshold", arguments: [ByteOrder.little, .big])
    func finder(byteOrder: ByteOrder) throws {
        let bytes = try Self.message(byteOrder: byteOrder).encoded()
        let ranges = try bytes.withUnsafeBytes { try LargeByteArrayFinder.ranges(in: $0, threshold: Self.threshold) }
        #expect(ranges.map(\.count) == [5000, 6001, 5000])
        #expect(Array(bytes[ranges[0]]) == (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        #expect(Array(bytes[ranges[1]]) == (0..<6001).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        #expect(try bytes.withUnsafeBytes { try LargeByteArrayFinder.ranges(in: $0, threshold: 10_000) }.isEmpty)
    }

    @Test("a parts list with sealed memfds decodes to the original message", arguments: [ByteOrder.little, .big])
    func roundTrip(byteOrder: ByteOrder) throws {
        let original = Self.message(byteOrder: byteOrder)
        let bytes = try original.encoded()
        let ranges = try bytes.withUnsafeBytes { try LargeByteArrayFinder.ranges(in: $0, threshold: Self.threshold) }
        let parts = KDBusMessageParts.parts(messageLength: bytes.count, memfdRanges: ranges)
        #expect(parts.count == 7)
        var list = [UInt8](repeating: 0xEE, count: KDBusMessageParts.partsListLength(parts))
        // Only the small pieces stay inline: the header, the list and 8-byte padding per inline part.
        #expect(list.count <= bytes.count - 16_001 + 16 + 7 * KDBusMessageParts.payloadItemSize + 7 * 8)
        bytes.withUnsafeBytes { message in list.withUnsafeMutableBytes { KDBusMessageParts.writePartsList(parts, of: message, into: $0) } }
        let memfds = try ranges.map { range in try bytes.withUnsafeBytes { UnixFD(try KDBusOutgoingPart.sealedMemfd(UnsafeRawBufferPointer(rebasing: $0[range]))) } }
        let decoded = try list.withUnsafeBytes { try PoolTransport.decode($0, memfds: memfds, fileDescriptorCount: 0) }
        #expect(decoded == original)
    }

    @Test("a memfd without the write seal is refused")
    func unsealedMemfd() throws {
        let bytes = try Self.message(byteOrder: .little).encoded()
        let ranges = try bytes.withUnsafeBytes { try LargeByteArrayFinder.ranges(in: $0, threshold: Self.threshold) }
        let parts = KDBusMessageParts.parts(messageLength: bytes.count, memfdRanges: ranges)
        var list = [UInt8](repeating: 0, count: KDBusMessageParts.partsListLength(parts))
        bytes.withUnsafeBytes { message in list.withUnsafeMutableBytes { KDBusMessageParts.writePartsList(parts, of: message, into: $0) } }
        let memfds = try ranges.map { range in
            let file = try MemoryFile.create(name: "unsealed", size: range.count)
            _ = try bytes.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[range]), atOffset: 0) }
            return UnixFD(file)
        }
        #expect(throws: KDBusTransportError.self) {
            try list.withUnsafeBytes { try PoolTransport.decode($0, memfds: memfds, fileDescriptorCount: 0) }
        }
    }

    @Test("a slice naming a memfd index twice is refused")
    func repeatedMemfd() throws {
        var slice = [UInt8](repeating: 0, count: 16 + 2 * KDBusMessageParts.payloadItemSize)
        slice.withUnsafeMutableBytes { buffer in
            var writer = KDBusSliceWriter(buffer: buffer)
            for _ in 0..<2 {
                _ = writer.append(.payloadMemfd, payloadLength: 16) { payload in
                    payload.storeBytes(of: UInt64(8).littleEndian, toByteOffset: 0, as: UInt64.self)
                }
            }
            writer.finish(sequence: 1)
        }
        let memfds = [UnixFD(try KDBusOutgoingPart.sealedMemfd(UnsafeRawBufferPointer(start: nil, count: 0)))]
        #expect(throws: KDBusTransportError.self) {
            try slice.withUnsafeBytes { try PoolTransport.decode($0, memfds: memfds, fileDescriptorCount: 0) }
        }
    }
}
