// Encoded Message: a message marshalled once and re-sent with a fresh serial each time.
import DBusWire

/// The bytes of one message, encoded once; `send` patches the serial in place, so the
/// client's per-call cost is a four-byte store and a write, the same on every bus.
struct EncodedMessage {
    /// Offset of the serial in the fixed header.
    private static let serialOffset = 8
    private(set) var bytes: [UInt8]

    /// `message` must use the host byte order (the factories' default), so the serial can be
    /// stored as a native integer. `limits`: D-Bus's, unless the message's large array
    /// travels as a memfd on the kdbus transport (docs/kdbus-transport.md §8).
    init(_ message: Message, limits: MessageSizeLimits = .specification) throws(BenchError) {
        var copy = message
        copy.serial = 1
        do { bytes = try copy.encoded(limits: limits) } catch { throw .protocolViolation("encode \(message.member ?? "?"): \(error)") }
    }

    /// Stores `serial` into the bytes.
    mutating func patchSerial(_ serial: UInt32) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: serial, toByteOffset: Self.serialOffset, as: UInt32.self) }
    }

    /// Sends the message with the connection's next serial and returns that serial.
    @discardableResult
    mutating func send(on connection: BusConnection) throws(BenchError) -> UInt32 {
        let serial = connection.takeSerial()
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: serial, toByteOffset: Self.serialOffset, as: UInt32.self) }
        try connection.sendAll(bytes)
        return serial
    }
}
