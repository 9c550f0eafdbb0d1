// SASL test fixtures: a server factory, byte helpers, a stand-in extension.
@testable import DBusWire

/// Shared fixtures for the SASL suites.
enum SASLFixture {
    static let guid = DBusGUID("0123456789abcdef0123456789abcdef")!
    static let ok = "OK 0123456789abcdef0123456789abcdef\r\n"
    /// The first 16 bytes of a little-endian Hello method call, to stand for "the first message".
    static let messageStart: [UInt8] = [0x6C, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x6D, 0x00, 0x00, 0x00]

    static func server(
        uid: UInt32? = 1000, fds: Bool = true, anonymous: Bool = false, extension ext: (any SASLServerExtension)? = nil
    ) -> SASLServer {
        SASLServer(guid: guid, peerUID: uid, canPassUnixFDs: fds, allowsAnonymous: anonymous, commandExtension: ext)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// An extension standing in for the kdbus negotiation: it knows one command and remembers it was asked.
struct RecordingExtension: SASLServerExtension {
    var requested = false
    var sawUnixFDs = false

    mutating func reply(toCommand command: String, argument: String, unixFDsNegotiated: Bool) -> String? {
        guard command == "SWIFTBUS_KDBUS" else { return nil }
        requested = true
        sawUnixFDs = unixFDsNegotiated
        return "KDBUS_AGREED " + argument
    }
}
