/// Connection Options: how a connection picks its transport.

/// Choices made once, when connecting. The default offers swiftbusd's kdbus transport
/// (docs/kdbus-transport.md) during authentication, pipelined with the other SASL lines:
/// swiftbusd agrees and the connection uses the receive pool and send arena; dbus-daemon and
/// dbus-broker answer ERROR and the connection simply stays classic, with no reconnect and
/// no extra round trip.
public struct ConnectionOptions: Sendable {
    /// Whether to offer the kdbus transport.
    public enum TransportPreference: Sendable, Hashable {
        /// Offer it; use it when the bus agrees, stay classic otherwise.
        case kdbusWhenAvailable
        /// Never offer it: the connection speaks classic D-Bus on every bus.
        case classicOnly
    }

    public var transport: TransportPreference
    /// Pool, arena and memfd-threshold sizes, and the metadata asked for, when offering.
    public var kdbusOffer: KDBusOffer

    public init(transport: TransportPreference = .kdbusWhenAvailable, kdbusOffer: KDBusOffer = KDBusOffer()) {
        self.transport = transport
        self.kdbusOffer = kdbusOffer
    }

    /// Offer the kdbus transport asking for `metadata` on every message received: each then
    /// carries `ReceivedMessage.senderCredentials` (on swiftbusd; classic buses have none).
    public init(metadata: KDBusMetadataSet) {
        self.init(kdbusOffer: KDBusOffer(metadata: metadata))
    }

    /// Offer the kdbus transport with the default sizes.
    public static let `default` = ConnectionOptions()
    /// Classic D-Bus only.
    public static let classicOnly = ConnectionOptions(transport: .classicOnly)

    /// The offer to send, nil when classic only.
    var offer: KDBusOffer? { transport == .classicOnly ? nil : kdbusOffer }
}

/// The transport a connection ended up on.
public enum ConnectionTransport: Sendable, Hashable, CustomStringConvertible {
    /// Classic D-Bus: messages as bytes on the socket.
    case classic
    /// The kdbus transport: messages through the send arena and the receive pool, large
    /// payloads as sealed memfds.
    case kdbus

    public var description: String {
        switch self {
        case .classic: "classic"
        case .kdbus: "kdbus"
        }
    }
}
