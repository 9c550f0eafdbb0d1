/// Message Header View as a Matchable Message
///
/// Lets the broker test match rules against a received message where it lies: header strings
/// are lent straight from the buffer, and `withStringArgument` steps over the leading body
/// arguments by their types without decoding them. Nothing here allocates.
///
/// Why skipping may trust the bytes: `MessageHeaderView.init(validating:)` has already checked
/// the whole body against its signature (every length within the body, every string
/// NUL-terminated, nesting within the limit), so the walk below reads lengths without
/// re-checking them. That is the invariant the unchecked arithmetic relies on; a view is only
/// ever made by that initializer.
extension MessageHeaderView: MatchableMessage {
    public var messageType: MessageType { type }

    /// The string-valued fields (path, interface, member, error name, destination, sender,
    /// signature) as bytes without the NUL; nil for absent fields and for the `u` fields.
    public func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        if code == .replySerial || code == .unixFDs { return body(nil) }
        guard let location = self[code] else { return body(nil) }
        let end = location.valueOffset + location.valueLength
        return body(UnsafeRawBufferPointer(rebasing: buffer[location.valueOffset..<end]))
    }

    /// Argument `index` when it is a string or object path. Earlier arguments are skipped by
    /// type: fixed-size values and arrays in one step each, strings by their length word.
    public func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R {
        let signature = self.signature.bytes
        guard index >= 0, index < signature.count else { return body(nil) }
        var walker = ValidatedBodyWalker(buffer: buffer, byteOrder: byteOrder, position: bodyOffset)
        var typeIndex = 0
        for _ in 0..<index {
            guard typeIndex < signature.count else { return body(nil) }
            walker.skipValue(signature, at: &typeIndex)
        }
        guard typeIndex < signature.count else { return body(nil) }
        let code = signature[typeIndex]
        guard code == TypeCode.string || code == TypeCode.objectPath else { return body(nil) }
        return body((code, walker.stringBytes()))
    }
}

/// Steps through values that `MessageHeaderView` has validated. Alignment is counted from the
/// start of `buffer`, which is the start of the message.
private struct ValidatedBodyWalker {
    let buffer: UnsafeRawBufferPointer
    let byteOrder: ByteOrder
    var position: Int

    mutating func align(_ alignment: Int) {
        position = (position + alignment - 1) & ~(alignment - 1)
    }

    mutating func readUInt32() -> Int {
        align(4)
        let raw = buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return Int(byteOrder == .little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw))
    }

    /// The characters of the string or object path at `position`.
    mutating func stringBytes() -> UnsafeRawBufferPointer {
        let length = readUInt32()
        return UnsafeRawBufferPointer(rebasing: buffer[position..<(position + length)])
    }

    /// Skips one value of the complete type at `index` in `signature`, advancing both.
    mutating func skipValue(_ signature: UnsafeRawBufferPointer, at index: inout Int) {
        let code = signature[index]
        switch code {
        case TypeCode.string, TypeCode.objectPath:
            position += readUInt32() + 1
        case TypeCode.signature:
            position += Int(buffer[position]) + 2
        case TypeCode.variant:
            let length = Int(buffer[position])
            let inner = UnsafeRawBufferPointer(rebasing: buffer[(position + 1)..<(position + 1 + length)])
            position += length + 2
            var innerIndex = 0
            skipValue(inner, at: &innerIndex)
        case TypeCode.array:
            let length = readUInt32()
            align(TypeCode.alignment(signature[index + 1]))
            position += length
            index = SignatureValidation.skipValidated(signature, at: index)
            return
        case TypeCode.structOpen, TypeCode.dictOpen:
            align(8)
            index += 1
            while signature[index] != TypeCode.structClose && signature[index] != TypeCode.dictClose {
                skipValue(signature, at: &index)
            }
        default:
            // Every other code is a fixed-size basic type whose size equals its alignment.
            let size = TypeCode.alignment(code)
            align(size)
            position += size
        }
        index += 1
    }
}
