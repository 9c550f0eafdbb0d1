/// Splits a SASL byte stream into CRLF-terminated ASCII lines, enforcing the line rules
/// (`SASLLimits.maxLineLength`, ASCII without NUL, CRLF only) as the bytes arrive, so that
/// a hostile peer can never make it hold more than one line.
struct SASLLineReader: Sendable {
    private var line: [UInt8] = []
    private var lineStart = 0
    private var sawCarriageReturn = false
    /// Bytes taken from the stream so far.
    private(set) var streamOffset = 0

    /// Reads from `chunk[index...]` up to the end of one line and returns the line without
    /// its CRLF, leaving `index` after the LF; returns nil when the chunk ends mid-line.
    mutating func nextLine(in chunk: UnsafeRawBufferPointer, at index: inout Int) throws(SASLError) -> [UInt8]? {
        while index < chunk.count {
            let byte = chunk[index]
            index += 1
            streamOffset += 1
            if sawCarriageReturn {
                guard byte == UInt8(ascii: "\n") else { throw SASLError(.malformedLineEnd, offset: streamOffset - 2) }
                let complete = line
                line.removeAll(keepingCapacity: true)
                sawCarriageReturn = false
                lineStart = streamOffset
                return complete
            }
            try accept(byte)
        }
        return nil
    }

    private mutating func accept(_ byte: UInt8) throws(SASLError) {
        switch byte {
        case UInt8(ascii: "\r"):
            sawCarriageReturn = true
        case UInt8(ascii: "\n"):
            throw SASLError(.malformedLineEnd, offset: streamOffset - 1)
        case 0, 0x80...:
            throw SASLError(.invalidByte(byte), offset: streamOffset - 1)
        default:
            line.append(byte)
        }
        // The CRLF counts towards the limit, so the content may use all but two bytes.
        if line.count + 2 > SASLLimits.maxLineLength {
            throw SASLError(.lineTooLong(limit: SASLLimits.maxLineLength), offset: lineStart)
        }
    }

    /// Counts a byte the caller consumed outside any line (the client's leading NUL).
    mutating func skipByte() {
        streamOffset += 1
        lineStart = streamOffset
    }
}
