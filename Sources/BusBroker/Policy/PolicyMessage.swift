// Policy Message
//
// The header fields of one message that policy rules look at, borrowed from the message's
// buffer so that a per-message check copies nothing.

import DBusWire

/// What the policy needs to know about a message: its type, the string header fields rules
/// can name, whether it is a reply and how many fds it carries. The strings point into the
/// message buffer (`WireString`), so the value is only valid while that buffer is; build it
/// on the stack for one check and drop it.
///
/// Whether a reply was *requested* is not a property of the message but of the reply
/// tracker, so the checks take it as a separate argument.
public struct PolicyMessage {
    public var type: MessageType
    public var path: WireString?
    public var interface: WireString?
    public var member: WireString?
    public var errorName: WireString?
    public var destination: WireString?
    /// Consulted only when the sender is the bus itself (`receive_sender` then compares
    /// this string, as dbus-daemon does for its driver's messages).
    public var sender: WireString?
    /// The message has a nonzero `REPLY_SERIAL` field: `*_requested_reply` rules apply.
    public var isReply: Bool
    public var unixFDCount: Int

    public init(type: MessageType, path: WireString? = nil, interface: WireString? = nil, member: WireString? = nil,
                errorName: WireString? = nil, destination: WireString? = nil, sender: WireString? = nil,
                isReply: Bool = false, unixFDCount: Int = 0) {
        self.type = type
        self.path = path
        self.interface = interface
        self.member = member
        self.errorName = errorName
        self.destination = destination
        self.sender = sender
        self.isReply = isReply
        self.unixFDCount = unixFDCount
    }

    /// The fields of a validated header, without copying.
    public init(header: MessageHeaderView) {
        self.init(type: header.type, path: header.string(.path), interface: header.string(.interface),
                  member: header.string(.member), errorName: header.string(.errorName),
                  destination: header.string(.destination), sender: header.string(.sender),
                  isReply: (header.replySerial ?? 0) != 0, unixFDCount: header.unixFDCount)
    }

    /// A signal without a destination: what `send_broadcast` calls a broadcast.
    public var isBroadcast: Bool { type == .signal && destination == nil }
}
