/// Message Size Limits: how long a message and its byte arrays may be on a given path.

/// The length limits a message is marshalled and validated against. D-Bus's own
/// (`specification`: 128 MiB a message, 64 MiB an array) bind every message that travels
/// as bytes on a socket. The kdbus transport passes large byte arrays as sealed memfds that
/// neither the broker nor the receiver copies, so a message carried that way may go further
/// (`memfdCarried`, docs/kdbus-transport.md §8): only its length and its `ay` contents grow;
/// every other array keeps the 64 MiB limit, since those are read element by element.
public struct MessageSizeLimits: Sendable, Hashable {
    /// Longest whole message: header, padding and body.
    public var maxMessageLength: Int
    /// Longest contents of one `ay`.
    public var maxByteArrayLength: Int

    public init(maxMessageLength: Int, maxByteArrayLength: Int) {
        self.maxMessageLength = maxMessageLength
        self.maxByteArrayLength = maxByteArrayLength
    }

    /// D-Bus's limits, for every message on a classic connection.
    @inlinable public static var specification: MessageSizeLimits {
        MessageSizeLimits(maxMessageLength: ProtocolLimits.maxMessageLength, maxByteArrayLength: ProtocolLimits.maxArrayLength)
    }

    /// The kdbus transport's, for a message whose large byte arrays travel as memfds.
    @inlinable public static var memfdCarried: MessageSizeLimits {
        MessageSizeLimits(maxMessageLength: KDBusLimits.maxMemfdCarriedMessageLength,
                          maxByteArrayLength: KDBusLimits.maxMemfdCarriedMessageLength)
    }

}
