// Pending Reply
/// A call that will never be answered: the broker owes its caller a `NoReply` error with
/// `key.serial` as reply serial.
public struct PendingReply: Hashable, Sendable {
    public let key: ReplyKey
    /// The peer that was called.
    public let callee: PeerID
    /// Monotonic nanoseconds after which the call times out; nil waits for ever.
    public let deadline: UInt64?

    public init(key: ReplyKey, callee: PeerID, deadline: UInt64?) {
        self.key = key
        self.callee = callee
        self.deadline = deadline
    }
}
