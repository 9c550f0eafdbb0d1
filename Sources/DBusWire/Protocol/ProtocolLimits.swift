/// The limits the D-Bus specification puts on what a peer may send. Each is named once
/// here so that every check cites the same number. Computed and inlinable rather than
/// stored, so the hot path reads a constant instead of calling a lazy-global accessor.
public enum ProtocolLimits {
    /// The only protocol version there is.
    @inlinable public static var majorProtocolVersion: UInt8 { 1 }
    /// Maximum length of a signature, in bytes.
    @inlinable public static var maxSignatureLength: Int { 255 }
    /// Maximum nesting of arrays in one type.
    @inlinable public static var maxArrayNesting: Int { 32 }
    /// Maximum nesting of structs (and dict entries) in one type.
    @inlinable public static var maxStructNesting: Int { 32 }
    /// Maximum total nesting of containers, variants included, while reading a value.
    @inlinable public static var maxTotalNesting: Int { 64 }
    /// Maximum length of a marshalled array's contents, in bytes (64 MiB).
    @inlinable public static var maxArrayLength: Int { 64 * 1024 * 1024 }
    /// Maximum length of a whole message: header, padding and body (128 MiB).
    @inlinable public static var maxMessageLength: Int { 128 * 1024 * 1024 }
    /// Maximum length of bus, interface, member and error names, in bytes.
    @inlinable public static var maxNameLength: Int { 255 }
    /// Length of the fixed part of the header: byte order, type, flags, version, body length, serial, fields length.
    @inlinable public static var fixedHeaderLength: Int { 16 }
    /// Maximum number of unix fds one message may carry: the kernel passes at most 253 (`SCM_MAX_FD`) per `sendmsg`.
    @inlinable public static var maxUnixFDsPerMessage: Int { 253 }
}
