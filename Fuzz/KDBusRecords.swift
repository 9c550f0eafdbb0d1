// Fuzz target: the kdbus command record decoder (and the slice item reader on the same bytes).
//
// Input layout: byte 0 bit 0 picks the direction (0 client → broker, 1 broker → client);
// the rest is a stream of 32-byte records. Checks: no crash; a record that decodes
// re-encodes to exactly its input bytes (every byte is a field, reserved bytes must be 0,
// so the encoding is canonical); an error names an offset inside its record; the slice
// reader on the same stream returns items that lie inside the items area.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKDBusRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let direction: KDBusDirection = data[0] & 1 == 0 ? .clientToBroker : .brokerToClient
    let stream = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var offset = 0
    while offset < stream.count {
        let record = UnsafeRawBufferPointer(rebasing: stream[offset..<min(offset + KDBusLimits.recordSize, stream.count)])
        do {
            let decoded = try KDBusRecord.decode(record, from: direction, streamOffset: offset)
            precondition(decoded.kind.travels(direction), "decoded a record of a kind that may not travel this way")
            precondition(decoded.bytes.elementsEqual(record), "re-encoding \(decoded) differs from its input")
        } catch {
            precondition(error.offset >= offset && error.offset < offset + KDBusLimits.recordSize, "error offset outside its record: \(error)")
        }
        offset += KDBusLimits.recordSize
    }
    if let contents = try? KDBusSliceReader.read(stream) {
        let itemsEnd = KDBusSliceHeader.size + contents.header.itemsLength
        for item in contents.items {
            precondition(item.payload.lowerBound >= KDBusSliceHeader.size + KDBusItem.headerSize && item.payload.upperBound <= itemsEnd,
                         "item payload \(item.payload) outside the items area ending at \(itemsEnd)")
        }
    }
    return 0
}
