// KDBus Slice Composer: the one place a message is laid out in a receiver's pool slice.
import BusPlatform
import DBusWire

/// Lays out one slice (docs/kdbus-transport.md §7): the 16-byte header, the items, then the
/// inline message bytes. Every slice the broker writes is written here, so metadata items
/// (§7, the receiver's `metadata=` set, about `sender`) are added in this type and nowhere
/// else: `length` must count what `write` writes.
struct KDBusSliceComposer {
    /// What the receiver asked for at negotiation.
    let metadata: KDBusMetadataSet
    /// The message: the rewritten header (or whole message) and, when separate, its body.
    let message: UnsafeRawBufferPointer
    let body: UnsafeRawBufferPointer

    /// Bytes of the one payload-inline item: u64 offset, u64 length.
    static let payloadInlineLength = 16

    var messageLength: Int { message.count + body.count }

    /// Bytes of the metadata items (`Broker.metadataLength`), written ahead of the payload item.
    var metadataLength = 0

    /// Length of the items area.
    var itemsLength: Int { metadataLength + KDBusSliceWriter.itemSize(payloadLength: Self.payloadInlineLength) }

    /// Length of the whole slice.
    var length: Int { KDBusSliceHeader.size + itemsLength + messageLength }

    /// Writes the slice into `slice` (at least `length` bytes), sequence `sequence`;
    /// `appendMetadata` writes exactly `metadataLength` bytes of items (`Broker.appendMetadata`).
    func write(into slice: UnsafeMutableRawBufferPointer, sequence: UInt64, appendMetadata: (inout KDBusSliceWriter) -> Bool) {
        var writer = KDBusSliceWriter(buffer: slice)
        let wroteMetadata = appendMetadata(&writer)
        precondition(wroteMetadata && writer.position == KDBusSliceHeader.size + metadataLength,
                     "KDBusSliceComposer: metadataLength and the metadata written disagree")
        let messageStart = KDBusSliceHeader.size + itemsLength
        let messageLength = self.messageLength
        let appended = writer.append(.payloadInline, payloadLength: Self.payloadInlineLength) { payload in
            payload.kdbusStore(UInt64(messageStart), at: 0)
            payload.kdbusStore(UInt64(messageLength), at: 8)
        }
        precondition(appended && writer.position == messageStart, "KDBusSliceComposer: length and write disagree")
        writer.finish(sequence: sequence)
        UnsafeMutableRawBufferPointer(rebasing: slice[messageStart..<messageStart + message.count]).copyMemory(from: message)
        if !body.isEmpty {
            let bodyStart = messageStart + message.count
            UnsafeMutableRawBufferPointer(rebasing: slice[bodyStart..<bodyStart + body.count]).copyMemory(from: body)
        }
    }
}
