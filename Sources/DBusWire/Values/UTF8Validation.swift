/// UTF-8 Validation
///
/// Checks string bytes from the wire: valid UTF-8 (no overlong forms, no surrogates, nothing
/// above U+10FFFF) and no NUL, in place and without allocating. ASCII, the common case, is
/// checked eight bytes at a time.
enum UTF8Validation {
    enum Failure: Error {
        case nul(at: Int)
        case invalid(at: Int)
    }

    static func check(_ s: UnsafeRawBufferPointer) throws(Failure) {
        let count = s.count
        var i = 0
        while i < count {
            if i + 8 <= count {
                let word = s.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // Fast path needs every byte in 0x01...0x7F: no high bit, no zero byte.
                let hasHigh = word & 0x8080_8080_8080_8080 != 0
                let hasZero = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0
                if !hasHigh && !hasZero {
                    i += 8
                    continue
                }
            }
            i = try checkScalar(s, at: i)
        }
    }

    /// Checks the scalar starting at `i`; returns the index after it.
    @inline(__always) static func checkScalar(_ s: UnsafeRawBufferPointer, at i: Int) throws(Failure) -> Int {
        let b0 = s[i]
        if b0 == 0 { throw .nul(at: i) }
        if b0 < 0x80 { return i + 1 }
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F  // excludes surrogates
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F  // nothing above U+10FFFF
        default: throw .invalid(at: i)
        }
        guard i + length <= s.count else { throw .invalid(at: i) }
        let b1 = s[i + 1]
        guard b1 >= lower && b1 <= upper else { throw .invalid(at: i) }
        var j = i + 2
        while j < i + length {
            guard s[j] & 0xC0 == 0x80 else { throw .invalid(at: i) }
            j += 1
        }
        return i + length
    }
}
