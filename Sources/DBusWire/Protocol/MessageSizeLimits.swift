/// Message Size Limits: how long a message and its byte arrays may be on a given path.

/// The length limits a message is marshalled and validated against. D-Bus's own
/// (`specification`: 128 MiB a message, 64 MiB an array) bind every message that travels
/// as bytes on a socket. The kdbus transport passes large byte arrays as sealed memfds that
/// neither the broker nor the receiver copies, so a message carried that way may go further
/// (`memfdCarried`, docs/kdbus-transport.md §8.1): only its length and its `ay` contents grow;
/// every other array keeps the 64 MiB limit, since those are read element by element.
///
/// An enum of the two sets rather than a struct of numbers: every validated message carries
/// one (`MessageHeaderView.limits`), and a byte keeps that view as small as it was.
public enum MessageSizeLimits: UInt8, Sendable, Hashable {
    /// D-Bus's limits, for every message on a classic connection.
    case specification
    /// The kdbus transport's, for a message whose large byte arrays travel as memfds.
    case memfdCarried

    /// Longest whole message: header, padding and body.
    @inlinable public var maxMessageLength: Int {
        switch self {
        case .specification: ProtocolLimits.maxMessageLength
        case .memfdCarried: KDBusLimits.maxMemfdCarriedMessageLength
        }
    }

    /// Longest contents of one `ay`.
    @inlinable public var maxByteArrayLength: Int {
        switch self {
        case .specification: ProtocolLimits.maxArrayLength
        case .memfdCarried: KDBusLimits.maxMemfdCarriedMessageLength
        }
    }
}
