// Policy Name
//
// A name or header value written in a rule, kept both as the String the name registry
// is keyed by and as bytes to compare against a message buffer without allocating.

import DBusWire

/// A string from a rule, ready for both kinds of comparison the checks make.
struct PolicyName: Sendable, Equatable {
    let text: String
    let bytes: [UInt8]

    init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    /// Byte equality with a header field.
    func equals(_ value: WireString) -> Bool {
        bytes.withUnsafeBytes { value.equals($0) }
    }

    /// Byte equality with raw bytes.
    func equals(_ value: UnsafeRawBufferPointer) -> Bool {
        bytes.withUnsafeBytes { mine in
            mine.count == value.count && mine.elementsEqual(value)
        }
    }

    /// dbus-daemon's "starts with words": `name` is this prefix, or this prefix followed by
    /// a dot and more (`a.b` covers `a.b` and `a.b.c`, not `a.bc`).
    func isWordPrefix(of name: UnsafeRawBufferPointer) -> Bool {
        guard name.count >= bytes.count else { return false }
        let head = UnsafeRawBufferPointer(rebasing: name[0..<bytes.count])
        guard equals(head) else { return false }
        return name.count == bytes.count || name[bytes.count] == UInt8(ascii: ".")
    }

    /// `isWordPrefix(of:)` for a String (a name from the registry).
    func isWordPrefix(of name: String) -> Bool {
        var name = name
        return name.withUTF8 { isWordPrefix(of: UnsafeRawBufferPointer($0)) }
    }
}
