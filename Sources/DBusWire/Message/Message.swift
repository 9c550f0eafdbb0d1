/// Message
///
/// One D-Bus message in owning, convenient form: what clients build and what
/// `init(decoding:)` returns. The broker's hot path uses `MessageHeaderView` instead.
///
/// The body signature is computed from `body` (it is never stored), so a message cannot
/// disagree with itself; a received SIGNATURE field is checked against the body on decode.
public struct Message: Sendable, Hashable {
    public var byteOrder: ByteOrder
    public var type: MessageType
    public var flags: MessageFlags
    /// Must be non-zero to encode; connections assign serials as they send.
    public var serial: UInt32
    public var path: String?
    public var interface: String?
    public var member: String?
    public var errorName: String?
    public var replySerial: UInt32?
    public var destination: String?
    public var sender: String?
    /// How many fds travel with the message (UNIX_FDS); 0 omits the field.
    public var unixFDCount: Int
    public var body: [DBusValue]

    public init(
        type: MessageType, serial: UInt32 = 0, flags: MessageFlags = [], byteOrder: ByteOrder = .host,
        path: String? = nil, interface: String? = nil, member: String? = nil, errorName: String? = nil,
        replySerial: UInt32? = nil, destination: String? = nil, sender: String? = nil,
        unixFDCount: Int = 0, body: [DBusValue] = []
    ) {
        self.byteOrder = byteOrder
        self.type = type
        self.flags = flags
        self.serial = serial
        self.path = path
        self.interface = interface
        self.member = member
        self.errorName = errorName
        self.replySerial = replySerial
        self.destination = destination
        self.sender = sender
        self.unixFDCount = unixFDCount
        self.body = body
    }

    /// The signature of `body`.
    public var signature: Signature { Signature(types: body.map(\.type)) }
}
