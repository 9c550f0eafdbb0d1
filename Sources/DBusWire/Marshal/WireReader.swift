/// Wire Reader
///
/// Reads marshalled values in place from a buffer, checking every rule as it goes.
/// It never copies: strings, paths and signatures come back as `WireString` views and
/// arrays as `WireArray` spans, and fixed-size values are read straight from the bytes,
/// so reading allocates nothing (only `readValue(of:)`, the owning convenience, allocates).
///
/// Lifetime invariant: the reader and every view it returns point into `buffer`; they are
/// valid only while the memory behind `buffer` is alive and unchanged.
///
/// Safety invariant for the unchecked loads below: every load at `position` is preceded by
/// a check that `position + size <= limit`, and `limit <= buffer.count`.
public struct WireReader {
    /// The bytes being read.
    public let buffer: UnsafeRawBufferPointer
    /// Index in `buffer` of the first byte of the message; alignment is counted from here.
    public let messageStart: Int
    /// The order of multi-byte values.
    public let byteOrder: ByteOrder
    /// Index in `buffer` of the next byte to read.
    public var position: Int
    /// Index in `buffer` that no read may cross (the end of the message or of a region of it).
    public var limit: Int
    /// Number of fds the message carries; a unix fd index must be below it.
    public var unixFDCount: Int
    /// Longest `ay` accepted (`MessageSizeLimits.maxByteArrayLength`); other arrays are held
    /// to `ProtocolLimits.maxArrayLength`.
    public var maxByteArrayLength = ProtocolLimits.maxArrayLength
    /// Bytes of `ay` contents validated by their length alone, without reading them. A
    /// message may pass D-Bus's limits only by these (`checkExamined`): everything else costs
    /// validation work in proportion to its length.
    public private(set) var skippedByteArrayBytes = 0
    /// Where this reader started: `checkExamined` counts from here, so a reader of a body
    /// counts the body alone whether or not its buffer holds the header too.
    private let examinationStart: Int

    public init(
        buffer: UnsafeRawBufferPointer, byteOrder: ByteOrder, messageStart: Int = 0,
        position: Int? = nil, limit: Int? = nil, unixFDCount: Int = 0
    ) {
        self.buffer = buffer
        self.byteOrder = byteOrder
        self.messageStart = messageStart
        self.position = position ?? messageStart
        self.limit = min(limit ?? buffer.count, buffer.count)
        self.unixFDCount = unixFDCount
        self.examinationStart = self.position
    }

    /// The offset of the next byte from the start of the message, as errors report it.
    public var offset: Int { position - messageStart }

    func error(_ rule: WireError.Rule, at index: Int) -> WireError {
        WireError(rule, at: index - messageStart)
    }

    @inline(__always) func need(_ count: Int) throws(WireError) {
        if limit - position < count {
            throw error(.truncated(needed: count, available: max(0, limit - position)), at: position)
        }
    }

    /// Skips padding up to `alignment` (a power of two), checking that it is zero.
    @inline(__always) public mutating func align(_ alignment: Int) throws(WireError) {
        let padding = (alignment - (position - messageStart) & (alignment - 1)) & (alignment - 1)
        if padding == 0 { return }
        try need(padding)
        for i in position..<(position + padding) where buffer[i] != 0 {
            throw error(.nonZeroPadding, at: i)
        }
        position += padding
    }

    @inline(__always) mutating func readFixed<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        try align(size)
        try need(size)
        let raw = buffer.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return byteOrder == .little ? T(littleEndian: raw) : T(bigEndian: raw)
    }

    // MARK: - Basic values

    public mutating func readByte() throws(WireError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return buffer[position]
    }

    public mutating func readBoolean() throws(WireError) -> Bool {
        let raw = try readFixed(UInt32.self)
        if raw > 1 { throw error(.invalidBoolean(raw), at: position - 4) }
        return raw == 1
    }

    public mutating func readInt16() throws(WireError) -> Int16 { try readFixed(Int16.self) }
    public mutating func readUInt16() throws(WireError) -> UInt16 { try readFixed(UInt16.self) }
    public mutating func readInt32() throws(WireError) -> Int32 { try readFixed(Int32.self) }
    public mutating func readUInt32() throws(WireError) -> UInt32 { try readFixed(UInt32.self) }
    public mutating func readInt64() throws(WireError) -> Int64 { try readFixed(Int64.self) }
    public mutating func readUInt64() throws(WireError) -> UInt64 { try readFixed(UInt64.self) }
    public mutating func readDouble() throws(WireError) -> Double { Double(bitPattern: try readFixed(UInt64.self)) }

    /// Reads a unix fd index and checks it against the message's fd count.
    public mutating func readUnixFD() throws(WireError) -> UInt32 {
        let index = try readFixed(UInt32.self)
        if Int(index) >= unixFDCount {
            throw error(.unixFDIndexOutOfRange(index: index, count: unixFDCount), at: position - 4)
        }
        return index
    }

    /// Reads a string: valid UTF-8, no NUL inside, NUL-terminated.
    public mutating func readString() throws(WireError) -> WireString {
        let length = Int(try readFixed(UInt32.self))
        let start = position
        try need(length)
        try checkExamined(upTo: start + length)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)])
        do throws(UTF8Validation.Failure) {
            try UTF8Validation.check(bytes)
        } catch {
            switch error {
            case .nul(let at): throw self.error(.stringContainsNul, at: start + at)
            case .invalid(let at): throw self.error(.invalidUTF8, at: start + at)
            }
        }
        try readTerminator(after: length)
        return WireString(bytes: bytes)
    }

    /// Reads the bytes of a string whose grammar the caller checks next: every name grammar
    /// admits only ASCII without NUL, so the UTF-8 pass would be wasted work.
    mutating func readNameBytes() throws(WireError) -> WireString {
        let length = Int(try readFixed(UInt32.self))
        try need(length)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[position..<(position + length)])
        try readTerminator(after: length)
        return WireString(bytes: bytes)
    }

    /// Reads an object path: a string that follows the path grammar.
    public mutating func readObjectPath() throws(WireError) -> WireString {
        let start = position
        let path = try readNameBytes()
        try checkExamined(upTo: position)
        do throws(NameError) {
            try NameValidation.validate(path.bytes, as: .objectPath)
        } catch {
            throw self.error(.invalidName(error), at: start)
        }
        return path
    }

    /// Reads a signature: one length byte, then type codes checked against every signature rule.
    public mutating func readSignature() throws(WireError) -> WireString {
        let length = Int(try readByte())
        let start = position
        try need(length)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)])
        do throws(SignatureValidation.Failure) {
            try SignatureValidation.validate(bytes)
        } catch {
            throw self.error(.invalidSignature(error.problem), at: start + error.offset)
        }
        try readTerminator(after: length)
        return WireString(bytes: bytes)
    }

    /// Steps over a signature that holds just `code` (length 1, the code, NUL) and returns
    /// true; returns false, moving nothing, for anything else. `code` must be a basic type
    /// code: such a signature is valid by construction, so no check is skipped.
    @inline(__always) mutating func skipSignature(ofBasicType code: UInt8) -> Bool {
        guard limit - position >= 3, buffer[position] == 1, buffer[position + 1] == code, buffer[position + 2] == 0 else {
            return false
        }
        position += 3
        return true
    }

    /// Steps over `length` string bytes and the NUL that must follow them.
    @inline(__always) mutating func readTerminator(after length: Int) throws(WireError) {
        position += length
        if position >= limit { throw error(.missingNulTerminator, at: position) }
        if buffer[position] != 0 { throw error(.missingNulTerminator, at: position) }
        position += 1
    }

    // MARK: - Containers

    /// Reads an array's length and the padding to its first element (present even when the
    /// array is empty). Iterate with `hasMoreElements(in:)`.
    /// `maxLength` is the array's limit: `maxByteArrayLength` for an `ay`.
    public mutating func beginArray(elementAlignment: Int, maxLength: Int = ProtocolLimits.maxArrayLength) throws(WireError) -> WireArray {
        let length = Int(try readFixed(UInt32.self))
        if length > maxLength {
            throw error(.arrayTooLong(length, limit: maxLength), at: position - 4)
        }
        try align(elementAlignment)
        try need(length)
        return WireArray(start: position, end: position + length)
    }

    /// Notes `array`, an `ay` passed over by its length (see `skippedByteArrayBytes`).
    @inline(__always) public mutating func skipByteArray(_ array: WireArray) {
        skippedByteArrayBytes &+= array.count
        position = array.end
    }

    /// Throws when reading on to `end` would examine more than D-Bus's message length of
    /// anything but skipped `ay` contents: the bound on validation work per message, which a
    /// message past D-Bus's limits (docs/kdbus-transport.md §8.1) could otherwise raise to
    /// gigabytes of strings. Within D-Bus's limits it cannot fire.
    @inline(__always) func checkExamined(upTo end: Int) throws(WireError) {
        let examined = end - examinationStart - skippedByteArrayBytes
        if examined > ProtocolLimits.maxMessageLength {
            throw error(.tooLongOutsideByteArrays(examined, limit: ProtocolLimits.maxMessageLength), at: position)
        }
    }

    /// True while elements remain; throws when the last element ran past the declared length.
    public func hasMoreElements(in array: WireArray) throws(WireError) -> Bool {
        if position < array.end { return true }
        if position > array.end { throw error(.arrayLengthMismatch(declared: array.count), at: array.end) }
        return false
    }

    /// Skips to the 8-byte boundary where a struct or dict entry starts.
    public mutating func beginStructure() throws(WireError) { try align(8) }
}
