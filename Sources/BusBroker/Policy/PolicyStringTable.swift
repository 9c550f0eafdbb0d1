// Policy String Table
//
// Every string the rules mention, stored once, so that compiled rules are plain values
// that the per-message scan copies without touching a reference count.

#if canImport(Glibc)
import Glibc
#endif

/// The bytes of every rule string, back to back, and the same strings as `String`s for
/// the name registry's lookups. One table serves a whole `PolicyEngine` and every
/// `PeerPolicy` made from it; rules refer into it with `PolicyString`s.
struct PolicyStringTable: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var names: [String] = []
    private var known: [String: PolicyString] = [:]

    /// The reference for `text`, adding it the first time it is seen.
    mutating func intern(_ text: String) -> PolicyString {
        if let existing = known[text] { return existing }
        let reference = PolicyString(start: bytes.count, count: text.utf8.count, index: names.count)
        bytes += text.utf8
        names.append(text)
        known[text] = reference
        return reference
    }
}

/// A rule string: where its bytes sit in the table, and its index among the table's names.
/// Trivial, so a rule holding several of these copies as plain memory.
struct PolicyString: Sendable, Equatable {
    let start: Int
    let count: Int
    let index: Int

    /// This string's bytes within `arena` (the table's bytes).
    @inline(__always)
    func bytes(in arena: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: arena[start..<(start + count)])
    }

    @inline(__always)
    func equals(_ value: UnsafeRawBufferPointer, in arena: UnsafeRawBufferPointer) -> Bool {
        value.count == count && PolicyWords.equal(bytes(in: arena), value)
    }
}

/// Byte comparisons on names.
enum PolicyWords {
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        return memcmp(left, right, a.count) == 0
    }

    /// dbus-daemon's "starts with words": `name` is `prefix`, or `prefix` followed by a dot
    /// and more (`a.b` covers `a.b` and `a.b.c`, not `a.bc`).
    static func isWordPrefix(_ prefix: UnsafeRawBufferPointer, of name: UnsafeRawBufferPointer) -> Bool {
        guard name.count >= prefix.count else { return false }
        guard equal(prefix, UnsafeRawBufferPointer(rebasing: name[0..<prefix.count])) else { return false }
        return name.count == prefix.count || name[prefix.count] == UInt8(ascii: ".")
    }

    /// `isWordPrefix` for Strings (names from the registry).
    static func isName(_ name: String, underPrefix prefix: String) -> Bool {
        var name = name
        var prefix = prefix
        return name.withUTF8 { nameBytes in
            prefix.withUTF8 { isWordPrefix(UnsafeRawBufferPointer($0), of: UnsafeRawBufferPointer(nameBytes)) }
        }
    }
}
