/// Wire Writer
///
/// Marshals values into a reusable byte buffer in one byte order. Offset 0 of the buffer is
/// the start of the message, so alignment is counted from it as the specification requires.
/// Reserve once and `reset` between messages: the capacity is kept, so a warm writer does
/// not allocate for messages that fit.
public struct WireWriter {
    /// The marshalled bytes so far.
    public private(set) var bytes: [UInt8]
    /// The byte order every multi-byte value is written in.
    public private(set) var byteOrder: ByteOrder
    /// Nesting of containers and variants being written, checked against `ProtocolLimits.maxTotalNesting`.
    var depth = 0
    /// Longest `ay` written (`MessageSizeLimits.maxByteArrayLength`); other arrays are held to
    /// `ProtocolLimits.maxArrayLength`.
    public var maxByteArrayLength = ProtocolLimits.maxArrayLength
    /// Bytes of `ay` contents written since the last reset: what a reader validates by length
    /// alone (`WireReader.skippedByteArrayBytes`), so the only bytes a message may pass D-Bus's
    /// length with.
    public private(set) var byteArrayBytes = 0
    /// `ay` contents of at least this many bytes are not copied into `bytes` but left as
    /// holes (`holes`), for a transport that sends them apart (the kdbus transport's memfd
    /// parts, docs/kdbus-transport.md §8); `Int.max`, the default, makes none.
    public var holeThreshold = Int.max
    /// The holes left so far, in order; the message is `bytes` with each hole's contents
    /// inserted at its offset. Positions (`count`, alignment, lengths) count the holes.
    public private(set) var holes: [WireHole] = []
    private var holeBytes = 0

    /// Where an open array's length goes and where its elements start; returned by `beginArray`.
    public struct ArrayMark: Sendable {
        let lengthOffset: Int
        let contentStart: Int
    }

    public init(byteOrder: ByteOrder = .little, reservingCapacity capacity: Int = 256) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
        self.byteOrder = byteOrder
    }

    /// Empties the buffer, keeping its capacity, to write the next message.
    public mutating func reset(byteOrder: ByteOrder) {
        bytes.removeAll(keepingCapacity: true)
        self.byteOrder = byteOrder
        depth = 0
        maxByteArrayLength = ProtocolLimits.maxArrayLength
        byteArrayBytes = 0
        holeThreshold = Int.max
        if !holes.isEmpty { holes.removeAll() }
        holeBytes = 0
    }

    /// Number of bytes written so far, holes included; the offset of the next byte in the message.
    public var count: Int { bytes.count + holeBytes }

    /// Appends zero bytes up to the next multiple of `alignment` (a power of two).
    public mutating func pad(to alignment: Int) {
        let padding = (alignment - count & (alignment - 1)) & (alignment - 1)
        for _ in 0..<padding { bytes.append(0) }
    }

    // MARK: - Fixed-size values

    @inline(__always) mutating func appendFixed<T: FixedWidthInteger>(_ value: T) {
        pad(to: MemoryLayout<T>.size)
        let ordered = byteOrder == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
    }

    public mutating func appendByte(_ value: UInt8) { bytes.append(value) }
    public mutating func appendBoolean(_ value: Bool) { appendFixed(UInt32(value ? 1 : 0)) }
    public mutating func appendInt16(_ value: Int16) { appendFixed(value) }
    public mutating func appendUInt16(_ value: UInt16) { appendFixed(value) }
    public mutating func appendInt32(_ value: Int32) { appendFixed(value) }
    public mutating func appendUInt32(_ value: UInt32) { appendFixed(value) }
    public mutating func appendInt64(_ value: Int64) { appendFixed(value) }
    public mutating func appendUInt64(_ value: UInt64) { appendFixed(value) }
    public mutating func appendDouble(_ value: Double) { appendFixed(value.bitPattern) }
    /// Appends an index into the message's fd list.
    public mutating func appendUnixFD(_ index: UInt32) { appendFixed(index) }

    // MARK: - Strings

    /// Appends a string; the specification forbids NUL inside it.
    public mutating func appendString(_ value: String) throws(WireError) {
        var copy = value
        let failure = copy.withUTF8 { utf8 -> WireError? in
            do throws(WireError) { try appendStringBytes(UnsafeRawBufferPointer(utf8)) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Appends string bytes (without terminator), e.g. a `WireString` being forwarded.
    public mutating func appendStringBytes(_ utf8: UnsafeRawBufferPointer) throws(WireError) {
        pad(to: 4)
        if let nul = utf8.firstIndex(of: 0) {
            throw WireError(.stringContainsNul, at: bytes.count + 4 + nul)
        }
        appendFixed(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
        bytes.append(0)
    }

    /// Appends an object path, checked against the path grammar.
    public mutating func appendObjectPath(_ path: String) throws(WireError) {
        do throws(NameError) {
            try NameValidation.validate(path, as: .objectPath)
        } catch {
            throw WireError(.invalidName(error), at: bytes.count)
        }
        try appendString(path)
    }

    /// Appends a signature; the length limit and nesting rules are checked here because
    /// `Signature(types:)` does not check them.
    public mutating func appendSignature(_ signature: Signature) throws(WireError) {
        let lengthOffset = bytes.count
        bytes.append(0)
        for type in signature.types { type.appendSignature(to: &bytes) }
        try finishSignature(lengthOffset: lengthOffset)
    }

    /// Validates the signature bytes written after `lengthOffset`, then stores their length and terminator.
    mutating func finishSignature(lengthOffset: Int) throws(WireError) {
        let length = bytes.count - lengthOffset - 1
        let failure = bytes.withUnsafeBytes { raw -> SignatureValidation.Failure? in
            let signature = UnsafeRawBufferPointer(rebasing: raw[(lengthOffset + 1)...])
            do throws(SignatureValidation.Failure) { try SignatureValidation.validate(signature) } catch { return error }
            return nil
        }
        if let failure { throw WireError(.invalidSignature(failure.problem), at: lengthOffset + 1 + failure.offset) }
        bytes[lengthOffset] = UInt8(length)
        bytes.append(0)
    }

    // MARK: - Containers

    /// Starts an array whose elements have `elementAlignment`: writes a length placeholder and
    /// pads to the element alignment, which the specification requires even for empty arrays.
    public mutating func beginArray(elementAlignment: Int) -> ArrayMark {
        appendFixed(UInt32(0))
        let lengthOffset = bytes.count - 4
        pad(to: elementAlignment)
        return ArrayMark(lengthOffset: lengthOffset, contentStart: count)
    }

    /// Ends an array: patches its length, which excludes the padding after the length.
    public mutating func endArray(_ mark: ArrayMark, maxLength: Int = ProtocolLimits.maxArrayLength) throws(WireError) {
        let length = count - mark.contentStart
        if length > maxLength { throw WireError(.arrayTooLong(length, limit: maxLength), at: mark.lengthOffset) }
        let ordered = byteOrder == .little ? UInt32(length).littleEndian : UInt32(length).bigEndian
        withUnsafeBytes(of: ordered) { raw in
            for i in 0..<4 { bytes[mark.lengthOffset + i] = raw[i] }
        }
    }

    /// Starts a struct or dict entry: both align to 8.
    public mutating func beginStructure() { pad(to: 8) }

    /// Appends a variant: the signature of `value`'s type, then `value`.
    public mutating func appendVariant(_ value: DBusValue) throws(WireError) {
        try enter()
        defer { depth -= 1 }
        let lengthOffset = bytes.count
        bytes.append(0)
        value.type.appendSignature(to: &bytes)
        try finishSignature(lengthOffset: lengthOffset)
        try append(value)
    }

    /// Counts one more level of nesting, refusing to write what no reader may accept.
    mutating func enter() throws(WireError) {
        depth += 1
        if depth > ProtocolLimits.maxTotalNesting { throw WireError(.nestingTooDeep, at: bytes.count) }
    }

    // MARK: - Any value

    /// Appends `value` with the alignment and layout of its type.
    public mutating func append(_ value: DBusValue) throws(WireError) {
        switch value {
        case .byte(let v): appendByte(v)
        case .boolean(let v): appendBoolean(v)
        case .int16(let v): appendInt16(v)
        case .uint16(let v): appendUInt16(v)
        case .int32(let v): appendInt32(v)
        case .uint32(let v): appendUInt32(v)
        case .int64(let v): appendInt64(v)
        case .uint64(let v): appendUInt64(v)
        case .double(let v): appendDouble(v)
        case .string(let v): try appendString(v)
        case .objectPath(let v): try appendObjectPath(v)
        case .signature(let v): try appendSignature(v)
        case .unixFD(let v): appendUnixFD(v)
        case .bytes(let v):
            let mark = beginArray(elementAlignment: 1)
            if v.count >= holeThreshold {
                holes.append(WireHole(offset: bytes.count, contents: v))
                holeBytes += v.count
            } else {
                bytes.append(contentsOf: v)
            }
            byteArrayBytes += v.count
            try endArray(mark, maxLength: maxByteArrayLength)
        case .array(let element, let elements):
            try appendArray(element: element, elements)
        case .dictionary(let key, let valueType, let entries):
            try appendDictionary(key: key, value: valueType, entries)
        case .structure(let fields):
            if fields.isEmpty { throw WireError(.invalidSignature(.emptyStruct), at: bytes.count) }
            try enter()
            defer { depth -= 1 }
            beginStructure()
            for field in fields { try append(field) }
        case .variant(let inner):
            try appendVariant(inner)
        }
    }

    mutating func appendArray(element: SignatureType, _ elements: [DBusValue]) throws(WireError) {
        try enter()
        defer { depth -= 1 }
        let mark = beginArray(elementAlignment: element.alignment)
        for value in elements {
            guard value.hasType(element) else { throw mismatch(expected: element, found: value) }
            try append(value)
        }
        try endArray(mark)
    }

    mutating func appendDictionary(
        key: SignatureType, value: SignatureType, _ entries: [DBusDictEntry]
    ) throws(WireError) {
        guard key.isBasic else { throw WireError(.invalidSignature(.dictEntryKeyNotBasic), at: bytes.count) }
        try enter()
        defer { depth -= 1 }
        let mark = beginArray(elementAlignment: 8)
        for entry in entries {
            guard entry.key.hasType(key) else { throw mismatch(expected: key, found: entry.key) }
            guard entry.value.hasType(value) else { throw mismatch(expected: value, found: entry.value) }
            beginStructure()
            try append(entry.key)
            try append(entry.value)
        }
        try endArray(mark)
    }

    func mismatch(expected: SignatureType, found: DBusValue) -> WireError {
        WireError(.valueTypeMismatch(expected: expected.signatureString, found: found.type.signatureString), at: bytes.count)
    }
}

extension WireWriter {
    /// Replaces bytes already written, e.g. a length known only at the end.
    mutating func overwrite(at offset: Int, with replacement: [UInt8]) {
        for (i, byte) in replacement.enumerated() { bytes[offset + i] = byte }
    }
}

extension WireWriter {
    /// Appends bytes already marshalled in this writer's byte order, at an offset with the
    /// alignment they were marshalled at (the caller's responsibility).
    public mutating func appendRaw(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }
}

/// The contents of a large `ay` left out of a `WireWriter`'s bytes (`WireWriter.holeThreshold`).
public struct WireHole: Sendable {
    /// Where the contents belong in the writer's `bytes` (before any later hole's contents).
    public let offset: Int
    public let contents: [UInt8]

    /// `bytes` with each hole's contents put back where it belongs: the whole message.
    public static func joined(_ bytes: [UInt8], _ holes: [WireHole]) -> [UInt8] {
        guard !holes.isEmpty else { return bytes }
        var whole: [UInt8] = []
        whole.reserveCapacity(bytes.count + holes.reduce(0) { $0 + $1.contents.count })
        var position = 0
        for hole in holes {
            whole += bytes[position..<hole.offset]
            whole += hole.contents
            position = hole.offset
        }
        return whole + bytes[position...]
    }
}
