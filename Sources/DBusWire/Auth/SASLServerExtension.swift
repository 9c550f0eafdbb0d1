/// A hook for commands the SASL server does not know, offered once the client is
/// authenticated, which is where a SwiftBus client asks for the kdbus transport (after
/// NEGOTIATE_UNIX_FD, before BEGIN).
///
/// The server keeps the extension value and hands it back through `SASLServer.commandExtension`
/// after BEGIN, so whatever the extension recorded (e.g. "the client asked for the pool")
/// is available to the caller.
public protocol SASLServerExtension: Sendable {
    /// Returns the reply line (without CRLF; ASCII, no CR or LF) for `command`, or nil when
    /// the command is not the extension's, in which case the server answers
    /// `ERROR "Unknown command"` exactly as dbus-daemon does.
    mutating func reply(toCommand command: String, argument: String, unixFDsNegotiated: Bool) -> String?
}
