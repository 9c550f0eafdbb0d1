// KDBus Channel Error: why the client end of the kdbus transport failed.
import BusPlatform
import DBusWire

/// What went wrong on a `KDBusChannel`. After any case but `timedOut` and `arenaFull`
/// the channel is unusable: close it and connect again.
public enum KDBusChannelError: Error, Sendable, CustomStringConvertible {
    /// SASL failed, or the server broke the SASL protocol.
    case authentication(SASLError)
    /// The server answered the extension line with ERROR (a classic bus): carry on classic.
    case refused(String)
    /// The server's AGREE line is malformed or grants more than was offered.
    case negotiation(KDBusNegotiationError)
    /// A record from the broker broke a rule of docs/kdbus-transport.md §5.
    case record(KDBusRecordError)
    /// The broker broke the protocol some other way (the text says how).
    case protocolViolation(String)
    /// The pool or arena memfd is not what the protocol requires, or an offset is out of range.
    case pool(PoolError)
    /// A slice's items are malformed.
    case slice(KDBusItemError)
    /// The broker closed the connection.
    case endOfStream
    /// Nothing arrived (or the arena did not free up) within the timeout.
    case timedOut(milliseconds: Int32)
    /// The message is larger than the arena's data area can ever hold.
    case messageTooLarge(length: Int, arenaDataSize: Int)
    /// A socket or memfd system call failed.
    case system(String, Errno)

    public var description: String {
        switch self {
        case .authentication(let error): "kdbus channel: authentication failed: \(error)"
        case .refused(let text): "kdbus channel: the bus refused the kdbus transport: \(text)"
        case .negotiation(let error): "kdbus channel: \(error)"
        case .record(let error): "kdbus channel: \(error)"
        case .protocolViolation(let text): "kdbus channel: protocol violation by the broker: \(text)"
        case .pool(let error): "kdbus channel: \(error)"
        case .slice(let error): "kdbus channel: \(error)"
        case .endOfStream: "kdbus channel: the broker closed the connection"
        case .timedOut(let milliseconds): "kdbus channel: nothing within \(milliseconds) ms"
        case .messageTooLarge(let length, let size): "kdbus channel: a \(length)-byte message never fits the \(size)-byte arena data area"
        case .system(let call, let error): "kdbus channel: \(call) failed: \(error)"
        }
    }
}
