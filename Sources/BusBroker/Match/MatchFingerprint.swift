// Match Fingerprint
/// A 64-bit hash of a name, path or argument, so bucket keys are a few fixed-size integers and
/// a message's fields can be hashed where they lie, without building a `String`. Two different
/// values may share a fingerprint; that only adds candidates, because every candidate rule is
/// evaluated in full before it counts. The hash is the standard library's, seeded per process,
/// so a peer cannot choose names that collide.
enum MatchFingerprint {
    static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    /// The same fingerprint as the bytes of `string`; native strings lend them without copying.
    static func of(_ string: String) -> UInt64 {
        var string = string
        return string.withUTF8 { of(UnsafeRawBufferPointer($0)) }
    }
}
