/// Match Prefix
///
/// The three prefix relations match rules use, on raw bytes: object-path namespaces
/// (`path_namespace`), slash-terminated path prefixes in either direction (`argNpath`), and
/// dotted-name namespaces (`arg0namespace`).
enum MatchPrefix {
    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")

    /// `path` is `namespace` or below it: `/a/b` is in `/a` but `/ab` is not; `/` holds every path.
    static func isInPathNamespace(_ path: UnsafeRawBufferPointer, namespace: UnsafeRawBufferPointer) -> Bool {
        guard hasPrefix(path, namespace) else { return false }
        if namespace.count == 1 || path.count == namespace.count { return true }
        return path[namespace.count] == slash
    }

    /// Equal, or one of the two ends in `/` and is a prefix of the other: `/aa/bb/` relates to
    /// `/`, `/aa/`, `/aa/bb/cc` but not to `/aa/bb` or `/aa/b`.
    static func arePathRelated(_ actual: UnsafeRawBufferPointer, _ expected: UnsafeRawBufferPointer) -> Bool {
        let shorter = actual.count <= expected.count ? actual : expected
        let longer = actual.count <= expected.count ? expected : actual
        guard hasPrefix(longer, shorter) else { return false }
        // dbus-daemon reads the byte before an empty string here; an empty value only equals itself.
        // (Indexed rather than `.last`, which calls malloc in debug builds.)
        return shorter.count == longer.count || (!shorter.isEmpty && shorter[shorter.count - 1] == slash)
    }

    /// `name` is `namespace` or a dotted name below it: `com.example.a` is in `com.example`,
    /// `com.examples` is not.
    static func isInNameNamespace(_ name: UnsafeRawBufferPointer, namespace: UnsafeRawBufferPointer) -> Bool {
        guard hasPrefix(name, namespace) else { return false }
        return name.count == namespace.count || name[namespace.count] == dot
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= prefix.count && equal(UnsafeRawBufferPointer(rebasing: bytes[0..<prefix.count]), prefix)
    }

    /// Byte equality eight bytes at a time: the generic `elementsEqual` goes byte by byte through
    /// an iterator and was 28% of a whole rule evaluation. Unaligned loads stay inside both buffers.
    static func equal(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var offset = 0
        while offset + 8 <= lhs.count {
            let left = lhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            if left != rhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset += 8
        }
        while offset < lhs.count {
            if lhs[offset] != rhs[offset] { return false }
            offset += 1
        }
        return true
    }
}
