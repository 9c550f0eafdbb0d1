// Match Message Keys
import DBusWire

/// One message's indexed fields, read and hashed once per lookup, from which the key of every
/// shape is put together without touching the message again.
struct MatchMessageKeys {
    /// The message has a destination: only eavesdropping rules can add recipients.
    let isAddressed: Bool
    /// The fields the message has (a shape needing one it lacks cannot match). Every message
    /// has a type and a sender. (Built with `union`: an array literal allocates in debug builds.)
    private(set) var present = MatchShape.type.union(.sender)
    let type: UInt8
    let sender: MatchParty
    let destination: MatchParty?
    private(set) var interface: UInt64 = 0
    private(set) var member: UInt64 = 0
    private(set) var path: UInt64 = 0
    private(set) var arg0: UInt64 = 0

    /// Reads the fields of `message`; only those in `needed` are hashed. `sender` nil is the bus
    /// driver; `destination` is the recipient peer of an addressed message, nil when it has none
    /// (the driver, or a name waiting for activation).
    init(_ message: some MatchableMessage, sender: PeerID?, destination recipient: PeerID?, needed: MatchShape) {
        type = message.messageType.rawValue
        self.sender = sender.map { .peer($0) } ?? .busDriver
        destination = message.withHeaderString(.destination) { bytes in
            guard let bytes else { return nil }
            return recipient.map { .peer($0) } ?? MatchParty(unaddressedDestination: bytes)
        }
        isAddressed = destination != nil
        if isAddressed { present.insert(.destination) }
        if needed.contains(.interface), let value = Self.fingerprint(.interface, of: message) {
            interface = value
            present.insert(.interface)
        }
        if needed.contains(.member), let value = Self.fingerprint(.member, of: message) {
            member = value
            present.insert(.member)
        }
        if needed.contains(.path), let value = Self.fingerprint(.path, of: message) {
            path = value
            present.insert(.path)
        }
        if needed.contains(.arg0), let value = Self.stringArgument0Fingerprint(of: message) {
            arg0 = value
            present.insert(.arg0)
        }
    }

    /// The bucket key of `shape` for this message; nil when no rule of that shape can match it.
    func key(for shape: MatchShape) -> MatchBucketKey? {
        if isAddressed ? !shape.contains(.eavesdrop) : shape.contains(.destination) { return nil }
        guard present.isSuperset(of: shape.fields) else { return nil }
        var key = MatchBucketKey(shape: shape)
        if shape.contains(.type) { key.type = type }
        if shape.contains(.sender) { key.sender = sender }
        if shape.contains(.destination) { key.destination = destination }
        if shape.contains(.interface) { key.interface = interface }
        if shape.contains(.member) { key.member = member }
        if shape.contains(.path) { key.path = path }
        if shape.contains(.arg0) { key.arg0 = arg0 }
        return key
    }

    private static func fingerprint(_ field: HeaderFieldCode, of message: some MatchableMessage) -> UInt64? {
        message.withHeaderString(field) { bytes in bytes.map(MatchFingerprint.of) }
    }

    /// `arg0='…'` only ever matches a string, never an object path (dbus-daemon 1.14).
    private static func stringArgument0Fingerprint(of message: some MatchableMessage) -> UInt64? {
        message.withStringArgument(0) { argument in
            guard let argument, argument.typeCode == UInt8(ascii: "s") else { return nil }
            return MatchFingerprint.of(argument.bytes)
        }
    }
}
