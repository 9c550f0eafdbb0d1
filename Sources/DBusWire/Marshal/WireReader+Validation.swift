/// Value Validation
///
/// Checks marshalled values against signature bytes by walking the signature, not by
/// building type trees, so validating a message allocates nothing. This is the broker's
/// path for every message body and every unknown header field.
extension WireReader {
    /// Checks every value of `signature` (zero or more complete types, already validated as a
    /// signature) starting at `position`.
    public mutating func validateValues(signature: UnsafeRawBufferPointer) throws(WireError) {
        var index = 0
        while index < signature.count {
            try validateValue(signature: signature, at: &index, depth: 0)
        }
    }

    /// Checks one value of the complete type at `index` in `signature`, advancing both.
    mutating func validateValue(
        signature s: UnsafeRawBufferPointer, at index: inout Int, depth: Int
    ) throws(WireError) {
        let code = s[index]
        switch code {
        case TypeCode.byte: try need(1); position += 1
        case TypeCode.boolean: _ = try readBoolean()
        case TypeCode.int16, TypeCode.uint16: _ = try readFixed(UInt16.self)
        case TypeCode.int32, TypeCode.uint32: _ = try readFixed(UInt32.self)
        case TypeCode.int64, TypeCode.uint64, TypeCode.double: _ = try readFixed(UInt64.self)
        case TypeCode.string: _ = try readString()
        case TypeCode.objectPath: _ = try readObjectPath()
        case TypeCode.signature: _ = try readSignature()
        case TypeCode.unixFD: _ = try readUnixFD()
        case TypeCode.variant:
            try validateVariant(depth: depth + 1)
        case TypeCode.array:
            try validateArray(signature: s, elementAt: index + 1, depth: depth + 1)
            index = SignatureValidation.skipValidated(s, at: index)
            return
        default:  // "(" or "{": fields until the matching close
            try enterNesting(depth + 1)
            try align(8)
            index += 1
            while s[index] != TypeCode.structClose && s[index] != TypeCode.dictClose {
                try validateValue(signature: s, at: &index, depth: depth + 1)
            }
        }
        index += 1
    }

    @inline(__always) func enterNesting(_ depth: Int) throws(WireError) {
        if depth > ProtocolLimits.maxTotalNesting { throw error(.nestingTooDeep, at: position) }
    }

    /// A variant: a signature holding exactly one complete type, then a value of it.
    mutating func validateVariant(depth: Int) throws(WireError) {
        try enterNesting(depth)
        let signatureAt = position
        let inner = try readSignature()
        try checkSingleCompleteType(inner, at: signatureAt)
        var index = 0
        try validateValue(signature: inner.bytes, at: &index, depth: depth)
    }

    func checkSingleCompleteType(_ signature: WireString, at index: Int) throws(WireError) {
        if signature.count == 0 || SignatureValidation.skipValidated(signature.bytes, at: 0) != signature.count {
            let types = signature.count == 0 ? 0 : 2  // more than one: the exact count does not help anyone
            throw error(.invalidSignature(.notSingleCompleteType(types)), at: index)
        }
    }

    /// An array of the element type at `elementAt`. Arrays of fixed-size values whose every
    /// bit pattern is valid are checked by length alone, so `ay` costs the same at any size.
    mutating func validateArray(
        signature s: UnsafeRawBufferPointer, elementAt elementIndex: Int, depth: Int
    ) throws(WireError) {
        try enterNesting(depth)
        let elementCode = s[elementIndex]
        if elementCode == TypeCode.byte {
            skipByteArray(try beginArray(elementAlignment: 1, maxLength: maxByteArrayLength))
            return
        }
        let array = try beginArray(elementAlignment: TypeCode.alignment(elementCode))
        let fixedSize = TypeCode.uncheckedFixedSize(elementCode)
        if fixedSize > 0 {
            if array.count % fixedSize != 0 {
                throw error(.arrayLengthMismatch(declared: array.count), at: array.start)
            }
            position = array.end
            return
        }
        try checkExamined(upTo: array.end)
        while try hasMoreElements(in: array) {
            var index = elementIndex
            try validateValue(signature: s, at: &index, depth: depth)
        }
    }
}
