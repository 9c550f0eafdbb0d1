/// Message Factories
///
/// The four kinds of message, each with the header fields the specification requires.
extension Message {
    /// A method call. Serial 0 means "assigned when sent".
    public static func methodCall(
        path: String, interface: String? = nil, member: String, destination: String? = nil,
        body: [DBusValue] = [], flags: MessageFlags = [], serial: UInt32 = 0
    ) -> Message {
        Message(type: .methodCall, serial: serial, flags: flags, path: path, interface: interface,
                member: member, destination: destination, body: body)
    }

    /// A successful reply to `call`, addressed back to its sender.
    public static func methodReturn(replyTo call: Message, body: [DBusValue] = [], serial: UInt32 = 0) -> Message {
        Message(type: .methodReturn, serial: serial, flags: .noReplyExpected, replySerial: call.serial,
                destination: call.sender, body: body)
    }

    /// An error reply to `call`; `message`, when given, becomes the conventional first string argument.
    public static func error(replyTo call: Message, name: String, message: String? = nil, serial: UInt32 = 0) -> Message {
        Message(type: .error, serial: serial, flags: .noReplyExpected, errorName: name, replySerial: call.serial,
                destination: call.sender, body: message.map { [.string($0)] } ?? [])
    }

    /// A signal from the object at `path`.
    public static func signal(
        path: String, interface: String, member: String, destination: String? = nil,
        body: [DBusValue] = [], serial: UInt32 = 0
    ) -> Message {
        Message(type: .signal, serial: serial, flags: .noReplyExpected, path: path, interface: interface,
                member: member, destination: destination, body: body)
    }
}
