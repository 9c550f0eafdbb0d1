/// What a successful SASL conversation established, reported once the client sent BEGIN.
public struct SASLServerOutcome: Sendable, Hashable {
    /// Who the client proved to be.
    public enum Identity: Sendable, Hashable {
        /// The uid the transport reported, which the client claimed or accepted.
        case uid(UInt32)
        /// An ANONYMOUS client: no identity at all.
        case anonymous
    }

    public var identity: Identity
    public var mechanism: SASLMechanism
    /// True when the client sent NEGOTIATE_UNIX_FD and we agreed.
    public var unixFDsNegotiated: Bool
    /// How many bytes of the last chunk fed belonged to SASL; the rest are the start of
    /// the first D-Bus message and go to the message reader.
    public var consumedBytes: Int
}
