// KDBus Record Kind: what a command record asks for or announces.

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
    /// Either way, on the socket only, after the announcements: descriptors that later ring
    /// entries (SEND or RECV) claim, in this record's `SCM_RIGHTS`.
    case descriptors = 7

    /// Whether a record of this kind may travel in `direction`.
    public func travels(_ direction: KDBusDirection) -> Bool {
        switch self {
        case .send, .free, .arenaAnnouncement: direction == .clientToBroker
        case .receive, .broadcastsLost, .poolAnnouncement: direction == .brokerToClient
        case .descriptors: true
        }
    }

    /// Where a record of this kind travels in version 2: ring entries in shared memory,
    /// the others on the socket.
    public var isRingEntry: Bool {
        switch self {
        case .send, .free, .receive, .broadcastsLost: true
        case .poolAnnouncement, .arenaAnnouncement, .descriptors: false
        }
    }
}

/// Which way a record travels; a decoder is told which it expects.
public enum KDBusDirection: Sendable, Hashable {
    case clientToBroker, brokerToClient
}
