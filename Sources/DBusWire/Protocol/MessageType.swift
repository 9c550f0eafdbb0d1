/// The message type, the second byte of every message. Type 0 is invalid; unknown types
/// above 4 must be ignored by receivers, and the broker rejects them.
public enum MessageType: UInt8, Sendable, Hashable, CaseIterable {
    case methodCall = 1
    case methodReturn = 2
    case error = 3
    case signal = 4
}
