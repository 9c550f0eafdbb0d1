// KDBus slice item tests: the writer's layout, the reader's checks.
import Testing
@testable import DBusWire

@Suite struct KDBusItemTests {
    /// A slice as the broker builds one: timestamp and comm items, then the message inline.
    private func buildSlice(message: [UInt8]) -> [UInt8] {
        var slice = [UInt8](repeating: 0xEE, count: 256)
        slice.withUnsafeMutableBytes { buffer in
            var writer = KDBusSliceWriter(buffer: buffer)
            #expect(writer.append(.timestamp, payloadLength: 24) { payload in
                for (index, value) in [UInt64(7), 1_000, 2_000].enumerated() { payload.kdbusStore(value, at: 8 * index) }
            })
            let appended = writer.append(.comm, strings: ["swiftbus"])
            #expect(appended)
            let messageOffset = writer.position + KDBusSliceWriter.itemSize(payloadLength: 16)
            #expect(writer.append(.payloadInline, payloadLength: 16) { payload in
                payload.kdbusStore(UInt64(messageOffset), at: 0)
                payload.kdbusStore(UInt64(message.count), at: 8)
            })
            writer.finish(sequence: 7)
            UnsafeMutableRawBufferPointer(rebasing: buffer[messageOffset..<messageOffset + message.count]).copyBytes(from: message)
        }
        return slice
    }

    @Test func writerLaysOutHeaderAndPaddedItems() throws {
        let slice = buildSlice(message: [1, 2, 3])
        #expect(Array(slice[0..<16]) == [80, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0], "items: 32 + 24 + 24 bytes")
        #expect(Array(slice[48..<64]) == [17, 0, 0, 0, 0x04, 0x10, 0, 0] + Array("swiftbus".utf8))
        #expect(Array(slice[64..<72]) == [0, 0, 0, 0, 0, 0, 0, 0], "NUL then padding to 8")
        #expect(Array(slice[96..<99]) == [1, 2, 3])
    }

    @Test func readerReturnsTheItemsTheWriterWrote() throws {
        let slice = buildSlice(message: [1, 2, 3])
        let contents = try KDBusSliceReader.read(slice)
        #expect(contents.header == KDBusSliceHeader(itemsLength: 80, sequence: 7))
        let items = contents.items
        #expect(items.map(\.type) == [.timestamp, .comm, .payloadInline])
        #expect(items[1].payload == 56..<65)
    }

    @Test func unknownItemTypesAreSkipped() throws {
        var slice = buildSlice(message: [1])
        slice[20] = 0x77
        slice[21] = 0x77
        #expect(try KDBusSliceReader.read(slice).items.map(\.rawType) == [0x7777, 0x1004, 1])
    }

    @Test(arguments: [
        (16, UInt8(31), KDBusItemError(.wrongPayloadSize(type: .timestamp, expected: 24, found: 23), offset: 16)),
        (16, 4, KDBusItemError(.badSize(4), offset: 16)),
        (0, 248, KDBusItemError(.truncated(needed: 264, available: 256), offset: 0)),
        (0, 81, KDBusItemError(.misaligned(81), offset: 0)),
        (4, 1, KDBusItemError(.reservedNotZero(1), offset: 4)),
        (64, 1, KDBusItemError(.unterminatedText(.comm), offset: 48)),
        (88, 200, KDBusItemError(.payloadOutOfBounds(offset: 96, length: 200, sliceLength: 256), offset: 72)),
        (80, 8, KDBusItemError(.payloadOutOfBounds(offset: 8, length: 1, sliceLength: 256), offset: 72)),
    ] as [(Int, UInt8, KDBusItemError)])
    func corruptSlicesAreRejected(at: Int, value: UInt8, error: KDBusItemError) {
        var slice = buildSlice(message: [1])
        slice[at] = value
        #expect(throws: error) { try KDBusSliceReader.read(slice) }
    }

    @Test func writerRefusesAnItemThatDoesNotFit() {
        var slice = [UInt8](repeating: 0, count: 32)
        slice.withUnsafeMutableBytes { buffer in
            var writer = KDBusSliceWriter(buffer: buffer)
            #expect(!writer.append(.timestamp, payloadLength: 24) { _ in })
            #expect(writer.append(.audit, payloadLength: 8) { _ in })
            #expect(writer.position == 32)
        }
    }
}
