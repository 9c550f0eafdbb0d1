// KDBus Slice Composer Tests: the slice layout the broker writes, read back with the client's reader.
import DBusWire
import Testing
@testable import BusBroker

@Suite("kdbus slice composer")
struct KDBusSliceComposerTests {
    /// Composes into a buffer of exactly `length` bytes and reads it back.
    private func compose(_ composer: KDBusSliceComposer, sequence: UInt64 = 7) throws -> ([UInt8], KDBusSliceContents) {
        var slice = [UInt8](repeating: 0xCC, count: composer.length)
        slice.withUnsafeMutableBytes { composer.write(into: $0, sequence: sequence) { _ in true } }
        return (slice, try KDBusSliceReader.read(slice))
    }

    private func inlineBytes(_ item: KDBusItem, in slice: [UInt8]) -> [UInt8] {
        slice.withUnsafeBytes { raw in
            let offset = Int(raw.kdbusLoad(UInt64.self, at: item.payload.lowerBound))
            let length = Int(raw.kdbusLoad(UInt64.self, at: item.payload.lowerBound + 8))
            return Array(raw[offset..<offset + length])
        }
    }

    @Test("a message split into header and separate body becomes one inline item holding both")
    func inlineMessage() throws {
        let header = (0..<40).map { UInt8($0) }
        let body = (0..<100).map { UInt8(truncatingIfNeeded: 200 + $0) }
        let (slice, contents) = try header.withUnsafeBytes { h in
            try body.withUnsafeBytes { b in try compose(KDBusSliceComposer(metadata: [], message: h, body: b)) }
        }
        #expect(contents.header.sequence == 7)
        #expect(contents.items.count == 1 && contents.items[0].type == .payloadInline)
        #expect(inlineBytes(contents.items[0], in: slice) == header + body)
    }

    @Test("memfd parts: the header and inline body pieces are copied, each memfd becomes a payload-memfd item")
    func memfdParts() throws {
        // Original message: 40-byte header, 100-byte body; parts: 50 inline (header + 10), a
        // 50-byte memfd, 40 inline. The rewritten header is 48 bytes (a SENDER was added).
        let parts: [KDBusPartsList.Part] = [.inline(0..<50), .memfd(index: 0, length: 50), .inline(100..<140)]
        let bodyParts = try #require(KDBusBodyParts(parts, bodyOffset: 40, bodyLength: 100, memfds: [-1],
                                                           spliced: .init(memfd: 0, range: 50..<100)))
        let rewrittenHeader = [UInt8](repeating: 0x11, count: 48)
        let body = (0..<100).map { UInt8($0) }
        let (slice, contents) = try rewrittenHeader.withUnsafeBytes { h in
            try body.withUnsafeBytes { b in try compose(KDBusSliceComposer(metadata: [], message: h, body: b, parts: bodyParts)) }
        }
        let types = contents.items.map(\.type)
        #expect(types == [.payloadInline, .payloadInline, .payloadMemfd, .payloadInline])
        #expect(inlineBytes(contents.items[0], in: slice) == rewrittenHeader)
        #expect(inlineBytes(contents.items[1], in: slice) == Array(body[0..<10]))
        #expect(inlineBytes(contents.items[3], in: slice) == Array(body[60..<100]))
        let memfdItem = contents.items[2]
        let (length, index) = slice.withUnsafeBytes { raw in
            (raw.kdbusLoad(UInt64.self, at: memfdItem.payload.lowerBound), raw.kdbusLoad(UInt32.self, at: memfdItem.payload.lowerBound + 8))
        }
        #expect(length == 50 && index == 0)
        #expect(slice.count == KDBusSliceHeader.size + 4 * 24 + 48 + 10 + 40, "only the inline bytes take pool space")
    }

    @Test("a memfd part that reaches into the header cannot be passed by reference")
    func memfdInHeader() {
        let parts: [KDBusPartsList.Part] = [.inline(0..<16), .memfd(index: 0, length: 124)]
        #expect(KDBusBodyParts(parts, bodyOffset: 40, bodyLength: 100, memfds: [-1], spliced: .init(memfd: 0, range: 16..<140)) == nil)
    }
}
