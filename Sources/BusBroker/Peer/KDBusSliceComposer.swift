// KDBus Slice Composer: the one place a message is laid out in a receiver's pool slice.
import BusPlatform
import DBusWire

/// Lays out one slice (docs/kdbus-transport.md §7): the 16-byte header, the items, then the
/// inline message bytes. Every slice the broker writes is written here, so metadata items
/// (§7, the receiver's `metadata=` set, about the sender) are added in this type and nowhere
/// else: `length` must count what `write` writes.
///
/// The message is `message` followed by `body` (the router hands a large body over
/// separately). With `parts`, the message's body came in memfds: those travel as
/// payload-memfd items (the RECV's memfds, in segment order) and only the rest is copied.
struct KDBusSliceComposer {
    /// What the receiver asked for at negotiation.
    let metadata: KDBusMetadataSet
    let message: UnsafeRawBufferPointer
    let body: UnsafeRawBufferPointer
    let parts: KDBusBodyParts?
    /// Bytes of the metadata items (`Broker.metadataLength`), written ahead of the payload items.
    var metadataLength = 0

    /// Payload bytes of a payload-inline item (u64 offset, u64 length) and of a
    /// payload-memfd item (u64 length, u32 index, u32 0).
    static let payloadItemLength = 16

    init(metadata: KDBusMetadataSet, message: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, parts: KDBusBodyParts? = nil) {
        self.metadata = metadata
        self.message = message
        self.body = body
        self.parts = parts
    }

    private var totalLength: Int { message.count + body.count }
    /// Where the body starts in `message ++ body`.
    private var headerLength: Int { totalLength - (parts?.bodyLength ?? 0) }

    /// Payload items: one inline item for the whole message, or the header then one per segment.
    private var payloadItemCount: Int { parts.map { 1 + $0.segments.count } ?? 1 }

    /// Length of the items area: metadata, then the payload items.
    var itemsLength: Int { metadataLength + payloadItemCount * KDBusSliceWriter.itemSize(payloadLength: Self.payloadItemLength) }

    /// Message bytes copied into the slice.
    var inlineLength: Int {
        guard let parts else { return totalLength }
        return parts.segments.reduce(headerLength) { sum, segment in
            if case .inline(let range) = segment { return sum + range.count }
            return sum
        }
    }

    /// Length of the whole slice.
    var length: Int { KDBusSliceHeader.size + itemsLength + inlineLength }

    /// Calls `body` with each memfd index (into `parts.memfds`) the RECV passes, in item
    /// order, until it returns false; false then. A walk, not an array: no allocation per message.
    func forEachMemfd(_ body: (Int) -> Bool) -> Bool {
        for case .memfd(let index, _) in parts?.segments ?? [] where !body(index) { return false }
        return true
    }

    /// Writes the slice into `slice` (at least `length` bytes), sequence `sequence`.
    /// `appendMetadata` writes exactly `metadataLength` bytes of items (`Broker.appendMetadata`).
    func write(into slice: UnsafeMutableRawBufferPointer, sequence: UInt64, appendMetadata: (inout KDBusSliceWriter) -> Bool) {
        var writer = KDBusSliceWriter(buffer: slice)
        let wroteMetadata = appendMetadata(&writer)
        precondition(wroteMetadata && writer.position == KDBusSliceHeader.size + metadataLength,
                     "KDBusSliceComposer: metadataLength and the metadata written disagree")
        var data = KDBusSliceHeader.size + itemsLength
        var ok = appendInline(&writer, source: 0..<(parts == nil ? totalLength : headerLength), at: &data, slice: slice)
        var memfdIndex: UInt32 = 0
        for segment in parts?.segments ?? [] {
            switch segment {
            case .inline(let range):
                ok = ok && appendInline(&writer, source: headerLength + range.lowerBound..<headerLength + range.upperBound,
                                        at: &data, slice: slice)
            case .memfd(_, let length):
                let index = memfdIndex
                ok = ok && writer.append(.payloadMemfd, payloadLength: Self.payloadItemLength) { payload in
                    payload.kdbusStore(UInt64(length), at: 0)
                    payload.kdbusStore(index, at: 8)
                }
                memfdIndex += 1
            }
        }
        precondition(ok && writer.position == KDBusSliceHeader.size + itemsLength && data == length,
                     "KDBusSliceComposer: length and write disagree")
        writer.finish(sequence: sequence)
    }

    /// Appends an inline item for `source` (a range of `message ++ body`) and copies those
    /// bytes to `data`, which moves on.
    private func appendInline(_ writer: inout KDBusSliceWriter, source: Range<Int>, at data: inout Int,
                              slice: UnsafeMutableRawBufferPointer) -> Bool {
        let start = data
        let appended = writer.append(.payloadInline, payloadLength: Self.payloadItemLength) { payload in
            payload.kdbusStore(UInt64(start), at: 0)
            payload.kdbusStore(UInt64(source.count), at: 8)
        }
        copy(source, to: UnsafeMutableRawBufferPointer(rebasing: slice[start..<start + source.count]))
        data += source.count
        return appended
    }

    /// Copies a range of `message ++ body`.
    private func copy(_ range: Range<Int>, to target: UnsafeMutableRawBufferPointer) {
        let split = message.count
        var written = 0
        if range.lowerBound < split {
            let piece = range.lowerBound..<min(range.upperBound, split)
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[piece]))
            written = piece.count
        }
        if range.upperBound > split {
            let piece = max(range.lowerBound, split) - split..<range.upperBound - split
            UnsafeMutableRawBufferPointer(rebasing: target[written...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: body[piece]))
        }
    }
}
