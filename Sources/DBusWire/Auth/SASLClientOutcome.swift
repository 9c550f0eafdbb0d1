/// What the client learned from a successful SASL conversation.
public struct SASLClientOutcome: Sendable, Hashable {
    /// How the server answered the extension command, when one was sent.
    public enum ExtensionReply: Sendable, Hashable {
        /// The server knew the command; this is its whole reply line.
        case accepted(String)
        /// The server answered ERROR (a classic server: dbus-daemon, dbus-broker); the text
        /// it gave. The connection carries on classic.
        case refused(String)
    }

    /// The GUID from the server's `OK`.
    public var serverGUID: DBusGUID
    /// True when the server answered NEGOTIATE_UNIX_FD with AGREE_UNIX_FD.
    public var unixFDsAgreed: Bool
    /// The extension's answer, nil when no extension command was sent.
    public var extensionReply: ExtensionReply?
    /// How many bytes of the last chunk fed were SASL replies; the rest are D-Bus messages.
    public var consumedBytes: Int
}
