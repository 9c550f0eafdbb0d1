/// Value Reading
///
/// The allocating convenience path: reads owning `DBusValue`s of a known type. Byte
/// arrays come back as `.bytes` (one copy of the bytes, no enum per byte).
extension WireReader {
    /// Reads one value of `type`, checking every rule.
    public mutating func readValue(of type: SignatureType) throws(WireError) -> DBusValue {
        try readValue(of: type, depth: 0)
    }

    mutating func readValue(of type: SignatureType, depth: Int) throws(WireError) -> DBusValue {
        switch type {
        case .byte: return .byte(try readByte())
        case .boolean: return .boolean(try readBoolean())
        case .int16: return .int16(try readInt16())
        case .uint16: return .uint16(try readUInt16())
        case .int32: return .int32(try readInt32())
        case .uint32: return .uint32(try readUInt32())
        case .int64: return .int64(try readInt64())
        case .uint64: return .uint64(try readUInt64())
        case .double: return .double(try readDouble())
        case .string: return .string(try readString().string)
        case .objectPath: return .objectPath(try readObjectPath().string)
        case .signature:
            let raw = try readSignature()
            return .signature(Signature(validatedBytes: raw.bytes))
        case .unixFD: return .unixFD(try readUnixFD())
        case .variant:
            try enterNesting(depth + 1)
            let signatureAt = position
            let inner = try readSignature()
            try checkSingleCompleteType(inner, at: signatureAt)
            var index = 0
            let innerType = SignatureType.parseValidated(inner.bytes, at: &index)
            return .variant(try readValue(of: innerType, depth: depth + 1))
        case .array(.byte):
            try enterNesting(depth + 1)
            let array = try beginArray(elementAlignment: 1, maxLength: maxByteArrayLength)
            skipByteArray(array)
            return .bytes(Array(UnsafeRawBufferPointer(rebasing: buffer[array.start..<array.end])))
        case .array(let element):
            try enterNesting(depth + 1)
            let array = try beginArray(elementAlignment: element.alignment)
            var elements: [DBusValue] = []
            while try hasMoreElements(in: array) {
                elements.append(try readValue(of: element, depth: depth + 1))
            }
            return .array(element: element, elements)
        case .dictionary(let key, let value):
            try enterNesting(depth + 1)
            let array = try beginArray(elementAlignment: 8)
            var entries: [DBusDictEntry] = []
            while try hasMoreElements(in: array) {
                try enterNesting(depth + 2)
                try beginStructure()
                let k = try readValue(of: key, depth: depth + 2)
                let v = try readValue(of: value, depth: depth + 2)
                entries.append(DBusDictEntry(key: k, value: v))
            }
            return .dictionary(key: key, value: value, entries)
        case .structure(let fields):
            try enterNesting(depth + 1)
            try beginStructure()
            var values: [DBusValue] = []
            values.reserveCapacity(fields.count)
            for field in fields { values.append(try readValue(of: field, depth: depth + 1)) }
            return .structure(values)
        }
    }
}
