/// Message Match View
import DBusWire

/// A received message as match-rule evaluation sees it, for routing signals to local
/// subscribers. The destination is hidden: the bus already decided this connection gets
/// the message, and a unicast signal (NameAcquired) must reach a subscriber whose rule
/// has no `destination` key.
struct MessageMatchView: MatchableMessage {
    let message: Message

    var messageType: MessageType { message.type }

    func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        let text: String? =
            switch code {
            case .sender: message.sender
            case .interface: message.interface
            case .member: message.member
            case .path: message.path
            case .errorName: message.errorName
            default: nil
            }
        guard var text else { return body(nil) }
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R {
        guard index < message.body.count else { return body(nil) }
        switch message.body[index] {
        case .string(var text): return text.withUTF8 { body((UInt8(ascii: "s"), UnsafeRawBufferPointer($0))) }
        case .objectPath(var text): return text.withUTF8 { body((UInt8(ascii: "o"), UnsafeRawBufferPointer($0))) }
        default: return body(nil)
        }
    }
}
