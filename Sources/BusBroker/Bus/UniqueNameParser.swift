// Unique Name Parser
//
// Turns a `:1.N` destination into a peer id straight from the message bytes.

/// Reads unique names without building a string. A name the bus never hands out
/// (another prefix, leading zeros, overflow) is nil, so it resolves to no peer.
enum UniqueNameParser {
    /// The digits of the largest `UInt64`, the most a peer number can have.
    static let maxDigits = 20

    static func peer(from bytes: UnsafeRawBufferPointer) -> PeerID? {
        let prefix: StaticString = ":1."
        let prefixLength = prefix.utf8CodeUnitCount
        guard bytes.count > prefixLength, bytes.count - prefixLength <= maxDigits else { return nil }
        for index in 0..<prefixLength where bytes[index] != prefix.utf8Start[index] { return nil }
        if bytes[prefixLength] == UInt8(ascii: "0") && bytes.count > prefixLength + 1 { return nil }
        var value: UInt64 = 0
        for index in prefixLength..<bytes.count {
            let digit = bytes[index]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return PeerID(value)
    }
}
