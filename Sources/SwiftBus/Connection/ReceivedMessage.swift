/// Received Message
import DBusWire

/// A message that arrived, with the file descriptors that came with it; the receiver owns
/// them (they close when the last `UnixFD` referring to them goes).
public struct ReceivedMessage: Sendable {
    /// The decoded message.
    public let message: Message
    /// The descriptors, by the index the body's `h` values use.
    public let fileDescriptors: [UnixFD]
    /// Who sent it, as swiftbusd vouches: set on the kdbus transport when the connection
    /// asked for metadata (`ConnectionOptions(metadata:)`), nil otherwise.
    public let senderCredentials: SenderCredentials?
    /// The memfd parts the body's large byte arrays arrived in (kdbus transport); a
    /// `MemfdPayload` argument adopts its part instead of copying.
    public let memfdPayloads: [MemfdPayload]

    public init(
        message: Message, fileDescriptors: [UnixFD] = [], senderCredentials: SenderCredentials? = nil, memfdPayloads: [MemfdPayload] = []
    ) {
        self.message = message
        self.fileDescriptors = fileDescriptors
        self.senderCredentials = senderCredentials
        self.memfdPayloads = memfdPayloads
    }

    /// The context that turns the body's `h` values into these descriptors.
    public var decodingContext: DBusDecodingContext {
        DBusDecodingContext(fileDescriptors: fileDescriptors, memfdPayloads: memfdPayloads)
    }

    /// The body as typed values; throws when the body's types differ from `types`.
    public func arguments<each T: DBusRepresentable>(as types: (repeat each T).Type = (repeat each T).self) throws -> (repeat each T) {
        var reader = ArgumentReader(message.body, context: decodingContext)
        let values = (repeat try reader.next((each T).self))
        try reader.finish()
        return values
    }
}

/// Reads a body's values in declaration order, checking the count.
struct ArgumentReader {
    let body: [DBusValue]
    let context: DBusDecodingContext
    var index = 0

    init(_ body: [DBusValue], context: DBusDecodingContext) {
        self.body = body
        self.context = context
    }

    mutating func next<T: DBusRepresentable>(_: T.Type) throws -> T {
        guard index < body.count else { throw countError(expected: index + 1) }
        defer { index += 1 }
        return try T(dbusValue: body[index], in: context)
    }

    func finish() throws {
        if index != body.count { throw countError(expected: index) }
    }

    private func countError(expected: Int) -> DBusTypeError {
        .argumentCount(expected: expected, found: body.count, signature: Signature(types: body.map(\.type)).string)
    }
}

/// A body ready to send, with what travels beside it.
struct EncodedArguments: Sendable {
    var body: [DBusValue]
    var fileDescriptors: [UnixFD] = []
    /// Memfds the kdbus transport may pass for large byte arrays in the body.
    var payloads: [MemfdPayload] = []

    /// No arguments.
    static let empty = EncodedArguments(body: [])
}

/// Encodes a parameter pack into a body.
func encodeArguments<each T: DBusRepresentable>(_ values: repeat each T) throws -> EncodedArguments {
    var context = DBusEncodingContext()
    var body: [DBusValue] = []
    for value in repeat each values { body.append(try value.dbusValue(in: &context)) }
    return EncodedArguments(body: body, fileDescriptors: context.fileDescriptors, payloads: context.memfdPayloads)
}

/// The D-Bus types of a parameter pack, in order.
func packTypes<each T: DBusRepresentable>(_ types: (repeat each T).Type) -> [SignatureType] {
    var result: [SignatureType] = []
    for type in repeat (each T).self { result.append(type.dbusType) }
    return result
}
