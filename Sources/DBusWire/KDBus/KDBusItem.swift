// KDBus Item: one typed entry in a pool slice, and how slices lay them out.

/// An item as found in a slice: its raw type (unknown types are kept, so a reader can skip
/// them) and where its payload lies in the slice. Layout (docs/kdbus-transport.md §7): u32
/// size (header + payload, unpadded), u32 type, payload, zero padding to 8 bytes; as
/// kdbus's `struct kdbus_item`, with 32-bit size and type because no item comes near 4 GiB.
public struct KDBusItem: Sendable, Hashable {
    public var rawType: UInt32
    /// The payload's range within the slice.
    public var payload: Range<Int>

    public var type: KDBusItemType? { KDBusItemType(rawValue: rawType) }

    /// Bytes of an item header.
    public static let headerSize = 8
}

/// The 16-byte header every slice starts with: u32 length of the items area (a multiple of 8),
/// u32 reserved (0), u64 the bus-wide sequence number of the message.
public struct KDBusSliceHeader: Sendable, Hashable {
    public var itemsLength: Int
    public var sequence: UInt64

    public static let size = 16

    public init(itemsLength: Int, sequence: UInt64) {
        self.itemsLength = itemsLength
        self.sequence = sequence
    }
}

/// Builds a slice in a buffer: header, items, then the message bytes the payload items
/// point at. The broker writes straight into the receiver's pool with it.
public struct KDBusSliceWriter {
    // Invariant: `position` is 8-aligned and <= buffer.count.
    private let buffer: UnsafeMutableRawBufferPointer
    public private(set) var position = KDBusSliceHeader.size

    /// `buffer` is the whole slice; it must hold at least the header.
    public init(buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= KDBusSliceHeader.size, "KDBusSliceWriter: slice shorter than its header")
        self.buffer = buffer
    }

    /// Bytes an item with `payloadLength` bytes takes, padding included.
    public static func itemSize(payloadLength: Int) -> Int { (KDBusItem.headerSize + payloadLength).kdbusAligned }

    /// Appends an item whose payload `fill` writes; returns false (writing nothing) when it
    /// does not fit.
    public mutating func append(_ type: KDBusItemType, payloadLength: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) -> Bool {
        let total = Self.itemSize(payloadLength: payloadLength)
        guard total <= buffer.count - position else { return false }
        let item = UnsafeMutableRawBufferPointer(rebasing: buffer[position..<position + total])
        item.initializeMemory(as: UInt8.self, repeating: 0)
        item.kdbusStore(UInt32(KDBusItem.headerSize + payloadLength), at: 0)
        item.kdbusStore(type.rawValue, at: 4)
        fill(UnsafeMutableRawBufferPointer(rebasing: item[KDBusItem.headerSize..<KDBusItem.headerSize + payloadLength]))
        position += total
        return true
    }

    /// Appends a text item (strings joined by NUL, NUL-terminated).
    public mutating func append(_ type: KDBusItemType, strings: [String]) -> Bool {
        var bytes: [UInt8] = []
        for string in strings { bytes += Array(string.utf8) + [0] }
        return append(type, payloadLength: bytes.count) { payload in payload.copyBytes(from: bytes) }
    }

    /// Writes the header, closing the items area; the message bytes may follow from `position`.
    public func finish(sequence: UInt64) {
        buffer.kdbusStore(UInt32(position - KDBusSliceHeader.size), at: 0)
        buffer.kdbusStore(UInt32(0), at: 4)
        buffer.kdbusStore(sequence, at: 8)
    }
}

/// What `KDBusSliceReader.read` found: the header and the items in order.
public struct KDBusSliceContents: Sendable, Hashable {
    public var header: KDBusSliceHeader
    public var items: [KDBusItem]
}

/// Reads a slice's header and items, checking every size and bound.
public enum KDBusSliceReader {
    /// The header and items of `slice`. Unknown item types are returned (with `type` nil)
    /// for the caller to skip; known ones are checked for their payload size and NUL.
    public static func read(_ slice: UnsafeRawBufferPointer) throws(KDBusItemError) -> KDBusSliceContents {
        guard slice.count >= KDBusSliceHeader.size else {
            throw KDBusItemError(.truncated(needed: KDBusSliceHeader.size, available: slice.count), offset: 0)
        }
        return try readChecked(slice)
    }

    /// Convenience for callers holding an array.
    public static func read(_ slice: [UInt8]) throws(KDBusItemError) -> KDBusSliceContents {
        let result = slice.withUnsafeBytes { buffer in
            Result { () throws(KDBusItemError) -> KDBusSliceContents in try read(buffer) }
        }
        return try result.get()
    }

    private static func readChecked(_ slice: UnsafeRawBufferPointer) throws(KDBusItemError) -> KDBusSliceContents {
        let itemsLength = Int(slice.kdbusLoad(UInt32.self, at: 0))
        let reserved = slice.kdbusLoad(UInt32.self, at: 4)
        guard reserved == 0 else { throw KDBusItemError(.reservedNotZero(reserved), offset: 4) }
        guard itemsLength % KDBusLimits.alignment == 0 else { throw KDBusItemError(.misaligned(itemsLength), offset: 0) }
        let end = KDBusSliceHeader.size + itemsLength
        guard end <= slice.count else { throw KDBusItemError(.truncated(needed: end, available: slice.count), offset: 0) }
        var items: [KDBusItem] = []
        var position = KDBusSliceHeader.size
        while position < end {
            let item = try readItem(slice, at: position, end: end)
            items.append(item)
            position = item.payload.upperBound.kdbusAligned
        }
        return KDBusSliceContents(
            header: KDBusSliceHeader(itemsLength: itemsLength, sequence: slice.kdbusLoad(UInt64.self, at: 8)), items: items)
    }

    private static func readItem(_ slice: UnsafeRawBufferPointer, at position: Int, end: Int) throws(KDBusItemError) -> KDBusItem {
        guard end - position >= KDBusItem.headerSize else {
            throw KDBusItemError(.truncated(needed: position + KDBusItem.headerSize, available: end), offset: position)
        }
        let size = Int(slice.kdbusLoad(UInt32.self, at: position))
        guard size >= KDBusItem.headerSize, size <= KDBusLimits.maxItemSize else { throw KDBusItemError(.badSize(size), offset: position) }
        guard size.kdbusAligned <= end - position else {
            throw KDBusItemError(.truncated(needed: position + size.kdbusAligned, available: end), offset: position)
        }
        let item = KDBusItem(rawType: slice.kdbusLoad(UInt32.self, at: position + 4),
                             payload: position + KDBusItem.headerSize..<position + size)
        try check(item, in: slice, itemsEnd: end, at: position)
        return item
    }

    private static func check(_ item: KDBusItem, in slice: UnsafeRawBufferPointer, itemsEnd: Int, at position: Int) throws(KDBusItemError) {
        guard let type = item.type else { return }
        if let expected = type.fixedPayloadSize, expected != item.payload.count {
            throw KDBusItemError(.wrongPayloadSize(type: type, expected: expected, found: item.payload.count), offset: position)
        }
        if type.isText, item.payload.isEmpty || slice[item.payload.upperBound - 1] != 0 {
            throw KDBusItemError(.unterminatedText(type), offset: position)
        }
        if type == .payloadInline {
            let offset = slice.kdbusLoad(UInt64.self, at: item.payload.lowerBound)
            let length = slice.kdbusLoad(UInt64.self, at: item.payload.lowerBound + 8)
            guard offset >= UInt64(itemsEnd), offset <= UInt64(slice.count), length <= UInt64(slice.count) - offset else {
                throw KDBusItemError(.payloadOutOfBounds(offset: offset, length: length, sliceLength: slice.count), offset: position)
            }
        }
    }
}
