/// Large Byte Array Finder: where an outgoing message's big `ay` contents lie, for memfd parts.
import DBusWire

/// Finds the byte-array contents of at least `threshold` bytes in a marshalled message, so
/// the kdbus transport can send each as a sealed memfd part (docs/kdbus-transport.md §8)
/// instead of through the send arena. Walks the body by its signature; only `ay` contents
/// are split out, since only they are plain bytes whose position does not matter to the
/// values around them (the length prefix and any padding stay inline).
enum LargeByteArrayFinder {
    /// The content ranges, in message order, at most `KDBusLimits.maxMemfdParts`.
    static func ranges(in message: UnsafeRawBufferPointer, threshold: Int) throws(WireError) -> [Range<Int>] {
        guard message.count >= threshold else { return [] }
        // The arena path marshals with the kdbus transport's limits; the finder reads the same.
        let view = try MessageHeaderView(validating: message, unixFDsReceived: ProtocolLimits.maxUnixFDsPerMessage,
                                         limits: .memfdCarried)
        let types = try Signature(view.signature.string).types
        var reader = WireReader(buffer: message, byteOrder: view.byteOrder, position: view.bodyOffset,
                                limit: view.bodyOffset + view.bodyLength, unixFDCount: ProtocolLimits.maxUnixFDsPerMessage)
        reader.maxByteArrayLength = view.limits.maxByteArrayLength
        var found: [Range<Int>] = []
        for type in types { try walk(type, &reader, threshold: threshold, into: &found) }
        return Array(found.prefix(KDBusLimits.maxMemfdParts))
    }

    private static func walk(_ type: SignatureType, _ reader: inout WireReader, threshold: Int, into found: inout [Range<Int>]) throws(WireError) {
        switch type {
        case .array(.byte):
            let array = try reader.beginArray(elementAlignment: 1, maxLength: reader.maxByteArrayLength)
            if array.count >= threshold { found.append(array.start..<array.end) }
            reader.skipByteArray(array)
        case .array(let element):
            let array = try reader.beginArray(elementAlignment: element.alignment)
            while try reader.hasMoreElements(in: array) { try walk(element, &reader, threshold: threshold, into: &found) }
        case .dictionary(let key, let value):
            let array = try reader.beginArray(elementAlignment: 8)
            while try reader.hasMoreElements(in: array) {
                try reader.beginStructure()
                try walk(key, &reader, threshold: threshold, into: &found)
                try walk(value, &reader, threshold: threshold, into: &found)
            }
        case .structure(let fields):
            try reader.beginStructure()
            for field in fields { try walk(field, &reader, threshold: threshold, into: &found) }
        case .variant:
            let signature = try Signature(try reader.readSignature().string)
            for inner in signature.types { try walk(inner, &reader, threshold: threshold, into: &found) }
        default:
            _ = try reader.readValue(of: type)
        }
    }
}
