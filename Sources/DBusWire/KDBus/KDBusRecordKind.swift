// KDBus Record Kind: what a command record on the socket asks for or announces.

/// The first 32-bit word of a command record. The numbers are the protocol; see
/// docs/kdbus-transport.md §5.
public enum KDBusRecordKind: UInt32, Sendable, Hashable, CaseIterable {
    /// Client → broker: a message is ready in the send arena.
    case send = 1
    /// Client → broker: pool slices the client has finished reading.
    case free = 2
    /// Broker → client: a message is in the receive pool.
    case receive = 3
    /// Broker → client: broadcasts were dropped for this client because its pool was full.
    case broadcastsLost = 4
    /// Broker → client, once, first after BEGIN: the receive pool's memfd and size.
    case poolAnnouncement = 5
    /// Client → broker, once, first after BEGIN: the send arena's memfd and size.
    case arenaAnnouncement = 6

    /// Which side may send records of this kind.
    public var direction: KDBusDirection {
        switch self {
        case .send, .free, .arenaAnnouncement: .clientToBroker
        case .receive, .broadcastsLost, .poolAnnouncement: .brokerToClient
        }
    }
}

/// Which way a record travels; a decoder is told which it expects.
public enum KDBusDirection: Sendable, Hashable {
    case clientToBroker, brokerToClient
}
