// Reply Admission
/// The tracker's verdict on a reply (or error) a peer sends: only the callee of a pending
/// call may answer it, and only once. A reply that is not admitted is dropped.
public enum ReplyAdmission: Hashable, Sendable {
    /// The call was pending on this sender; it is now answered and forgotten.
    case accepted
    /// No call with this caller and serial is pending: never made, already answered,
    /// timed out, or made with NO_REPLY_EXPECTED.
    case unexpected
    /// The call is pending, but on another peer; it stays pending.
    case wrongSender(expected: PeerID)
}
