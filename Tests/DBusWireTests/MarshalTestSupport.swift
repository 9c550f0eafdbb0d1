// Marshal Test Support: hex vectors and typed-error helpers shared by the wire tests
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

/// `withUnsafeBytes` keeping the typed error (the standard one rethrows `any Error`).
func withRaw<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(WireError) -> R) throws(WireError) -> R {
    let result = bytes.withUnsafeBytes { raw -> Result<R, WireError> in
        do throws(WireError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}
