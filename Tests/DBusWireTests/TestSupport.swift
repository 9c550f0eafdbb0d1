import Testing
@testable import DBusWire

/// Hex helpers and a catch-the-rule helper shared by the wire tests.
enum Hex {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }
}

/// The error a throwing wire call produced, or nil when it succeeded.
func wireError(_ body: () throws(WireError) -> Void) -> WireError? {
    do { try body() } catch { return error }
    return nil
}
