/// Hex digits as SASL and D-Bus addresses write them: encoding to lowercase, decoding either case.
enum HexDigits {
    /// The lowercase ASCII digit for a nibble (0...15).
    @inline(__always) static func lowercase(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// The value of one ASCII hex digit, or nil if `byte` is not one.
    @inline(__always) static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `bytes` as lowercase hex, two digits per byte.
    static func encode(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(lowercase(byte >> 4))
            out.append(lowercase(byte & 0xF))
        }
        return out
    }

    /// Decodes an even-length run of hex digits; returns the index of the first bad digit
    /// (or `hex.count` for an odd length) on failure.
    static func decode(_ hex: some Collection<UInt8>) -> Result<[UInt8], HexDecodingFailure> {
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var high: UInt8? = nil
        for (index, byte) in hex.enumerated() {
            guard let nibble = value(byte) else { return .failure(HexDecodingFailure(index: index)) }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        if high != nil { return .failure(HexDecodingFailure(index: hex.count)) }
        return .success(out)
    }
}

/// Where a hex string stopped being hex: the index of the first bad digit, or the length for an odd count.
struct HexDecodingFailure: Error, Sendable, Hashable {
    var index: Int
}
