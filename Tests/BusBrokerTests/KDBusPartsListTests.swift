// KDBus Parts List Tests: every rule of a SEND's parts list (docs/kdbus-transport.md §8).
import DBusWire
import Testing

@Suite("kdbus parts list")
struct KDBusPartsListTests {
    enum Item {
        case inline(offset: UInt64, length: UInt64)
        case memfd(length: UInt64, index: UInt32, reserved: UInt32 = 0)
        case other(type: UInt32)
    }

    /// A parts list with `items` and `data` after them.
    static func list(_ items: [Item], data: [UInt8] = [], sequence: UInt64 = 0) -> [UInt8] {
        var body: [UInt8] = []
        func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { body += $0 } }
        func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { body += $0 } }
        for item in items {
            switch item {
            case .inline(let offset, let length): u32(24); u32(1); u64(offset); u64(length)
            case .memfd(let length, let index, let reserved): u32(24); u32(2); u64(length); u32(index); u32(reserved)
            case .other(let type): u32(16); u32(type); u64(0)
            }
        }
        var header: [UInt8] = []
        withUnsafeBytes(of: UInt32(body.count).littleEndian) { header += $0 }
        header += [0, 0, 0, 0]
        withUnsafeBytes(of: sequence.littleEndian) { header += $0 }
        return header + body + data
    }

    static func parse(_ list: [UInt8], memfds: Int, limit: Int = 1 << 20) throws(KDBusPartsError) -> [KDBusPartsList.Part] {
        try list.withUnsafeBytes { raw in
            Result { () throws(KDBusPartsError) in try KDBusPartsList.parse(raw, memfdCount: memfds, maxCopiedBytes: limit) }
        }.get()
    }

    @Test("inline and memfd parts in order")
    func valid() throws {
        let data: [UInt8] = Array(repeating: 7, count: 8)
        let itemsEnd = UInt64(16 + 2 * 24)
        let parts = try Self.parse(Self.list([.inline(offset: itemsEnd, length: 8), .memfd(length: 4096, index: 0)], data: data), memfds: 1)
        #expect(parts == [.inline(Int(itemsEnd)..<Int(itemsEnd) + 8), .memfd(index: 0, length: 4096)])
    }

    @Test("each broken rule is refused with its reason", arguments: [
        (list([.memfd(length: 10, index: 0), .memfd(length: 10, index: 0)]), 1, KDBusPartsError.memfdReused(0)),
        (list([.memfd(length: 10, index: 0)]), 2, .memfdUnused(1)),
        (list([.memfd(length: 10, index: 3)]), 1, .memfdIndex(3, count: 1)),
        (list([.memfd(length: 10, index: 0, reserved: 1)]), 1, .reservedNotZero),
        (list([.memfd(length: 0, index: 0)]), 1, .memfdLength(0, 0)),
        (list([.other(type: 0x7777)]), 0, .notPayload(0x7777)),
        (list([.memfd(length: 10, index: 0)], sequence: 5), 1, .reservedNotZero),
        // The largest memfd is mapped, not copied: only the rest counts against max_message_size.
        (list([.memfd(length: 2 << 20, index: 0), .memfd(length: 3 << 20, index: 1)]), 2, .copiedTooLarge(2 << 20, limit: 1 << 20)),
        (list([.memfd(length: 1 << 31, index: 0), .memfd(length: 1, index: 1)]), 2,
         .tooLarge(before: 1 << 31, part: 1, limit: 1 << 31)),
        (list([.inline(offset: 40, length: 0)]), 0, .empty),
        (list([.memfd(length: 1, index: 0), .memfd(length: UInt64(Int.max), index: 1)]), 2,
         .tooLarge(before: 1, part: Int.max, limit: 1 << 31)),
    ])
    func refused(list: [UInt8], memfds: Int, expected: KDBusPartsError) {
        #expect(throws: expected) { try Self.parse(list, memfds: memfds) }
    }

    @Test("a memfd past max_message_size passes when it is the part mapped, up to 2 GiB in all")
    func largestMemfdIsNotCopied() throws {
        let parts = try Self.parse(Self.list([.memfd(length: 1 << 30, index: 0), .memfd(length: 1 << 20, index: 1)]), memfds: 2)
        #expect(parts == [.memfd(index: 0, length: 1 << 30), .memfd(index: 1, length: 1 << 20)])
        #expect(KDBusPartsList.splicedPart(of: parts) == 0)
        #expect(KDBusPartsList.splicedPart(of: [.inline(0..<8), .memfd(index: 1, length: 5), .memfd(index: 0, length: 9)]) == 2)
        #expect(KDBusPartsList.splicedPart(of: [.inline(0..<8)]) == nil)
    }

    @Test("an inline part outside the list is an item error")
    func inlineOutOfBounds() {
        #expect(throws: KDBusPartsError.self) { try Self.parse(Self.list([.inline(offset: 40, length: 100)]), memfds: 0) }
    }
}
