/// Connection Error
import BusPlatform
import DBusWire

/// Why the connection could not do what was asked, as opposed to the peer answering with
/// an error (`DBusError`). Each case says what happened and, where it helps, to whom.
public enum ConnectionError: Error, Sendable, CustomStringConvertible {
    /// No address to connect to: the variable named is unset and there is no default.
    case noAddress(String)
    /// The address text does not parse.
    case invalidAddress(String, AddressError)
    /// Every address entry was tried and refused; one line per entry.
    case connectFailed([String])
    /// The server refused authentication, or spoke something other than SASL.
    case authenticationFailed(String)
    /// The connection is closed: by `close()`, by the bus, or by an I/O error (the reason).
    /// Pending calls fail with it, and every later call throws it at once.
    case disconnected(String)
    /// No reply came within the timeout given to the call.
    case timedOut(destination: String?, member: String, timeout: Duration)
    /// The task waiting for the reply was cancelled.
    case cancelled
    /// The message could not be marshalled (a bad name, a value too large).
    case invalidMessage(WireError)
    /// A reply's body does not have the types the caller declared.
    case unexpectedReply(member: String, DBusTypeError)
    /// The connection became a monitor (`becomeMonitor`): it may not send, so the message
    /// (the member named, if any) was not sent; calls still waiting when it switched fail
    /// with this too. Use another connection to talk to the bus.
    case monitoring(member: String?)

    public var description: String {
        switch self {
        case .noAddress(let what): "no bus address: \(what)"
        case .invalidAddress(let text, let error): "invalid bus address '\(text)': \(error)"
        case .connectFailed(let attempts): "could not connect: " + attempts.joined(separator: "; ")
        case .authenticationFailed(let reason): "authentication failed: \(reason)"
        case .disconnected(let reason): "disconnected: \(reason)"
        case .timedOut(let destination, let member, let timeout):
            "no reply to \(member) from \(destination ?? "(no destination)") within \(timeout)"
        case .cancelled: "the call was cancelled"
        case .invalidMessage(let error): "message cannot be sent: \(error)"
        case .unexpectedReply(let member, let error): "reply to \(member) has unexpected types: \(error)"
        case .monitoring(let member):
            "\(member ?? "message") not sent: this connection is a bus monitor and may not send; use another connection"
        }
    }
}
