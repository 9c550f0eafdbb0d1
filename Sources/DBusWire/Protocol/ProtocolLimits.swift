/// The limits the D-Bus specification puts on what a peer may send. Each is named once
/// here so that every check cites the same number.
public enum ProtocolLimits {
    /// The only protocol version there is.
    public static let majorProtocolVersion: UInt8 = 1
    /// Maximum length of a signature, in bytes.
    public static let maxSignatureLength = 255
    /// Maximum nesting of arrays in one type.
    public static let maxArrayNesting = 32
    /// Maximum nesting of structs (and dict entries) in one type.
    public static let maxStructNesting = 32
    /// Maximum total nesting of containers, variants included, while reading a value.
    public static let maxTotalNesting = 64
    /// Maximum length of a marshalled array's contents, in bytes (64 MiB).
    public static let maxArrayLength = 64 * 1024 * 1024
    /// Maximum length of a whole message: header, padding and body (128 MiB).
    public static let maxMessageLength = 128 * 1024 * 1024
    /// Maximum length of bus, interface, member and error names, in bytes.
    public static let maxNameLength = 255
    /// Length of the fixed part of the header: byte order, type, flags, version, body length, serial, fields length.
    public static let fixedHeaderLength = 16
    /// Maximum number of unix fds one message may carry: the kernel passes at most 253 (`SCM_MAX_FD`) per `sendmsg`.
    public static let maxUnixFDsPerMessage = 253
}
