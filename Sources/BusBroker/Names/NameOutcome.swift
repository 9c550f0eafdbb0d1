// Name Outcome
/// What a registry operation did: the reply for the caller and the signals to emit first.
public struct NameOutcome<Reply: Hashable & Sendable>: Hashable, Sendable {
    /// The method reply.
    public let reply: Reply
    /// The signals to send before the reply, in order.
    public let events: [NameEvent]

    public init(reply: Reply, events: [NameEvent]) {
        self.reply = reply
        self.events = events
    }
}
