/// Why a SASL conversation ended without authentication: the rule the peer broke (or the
/// server's refusal, on the client side) and the byte offset in the stream received.
public struct SASLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong. The first group ends a server's conversation with a client; the
    /// second ends a client's conversation with a server.
    public enum Reason: Sendable, Hashable {
        /// The first byte a client sends must be NUL (it carries credentials on some systems).
        case missingNulByte(found: UInt8)
        /// A line (CRLF included) exceeded `limit` bytes.
        case lineTooLong(limit: Int)
        /// A line held NUL or a byte above 0x7F; the protocol is ASCII.
        case invalidByte(UInt8)
        /// A CR not followed by LF, or an LF not preceded by CR: lines end in CRLF.
        case malformedLineEnd
        /// BEGIN before the server said OK.
        case beginBeforeAuthentication
        /// The peer was rejected `limit` times.
        case tooManyRejections(limit: Int)
        /// The peer sent more than `limit` commands without BEGIN.
        case tooManyCommands(limit: Int)
        /// Bytes were fed after the conversation had ended.
        case alreadyFinished

        /// The server refused every mechanism we offered; it supports `mechanisms`.
        case rejected(mechanisms: [String])
        /// The server answered ERROR where the protocol left no room for it.
        case serverError(String)
        /// The server sent a line the protocol does not allow at this point.
        case unexpectedReply(String)
        /// The server's OK named a different GUID from the one in its address.
        case guidMismatch(expected: DBusGUID, received: DBusGUID)
    }

    /// What went wrong.
    public var reason: Reason
    /// Offset, in the byte stream received from the peer, of the byte or line at fault.
    public var offset: Int

    /// Replies still owed to the peer before closing, e.g. the REJECTED that reached
    /// `SASLLimits.maxRejections`: dbus-daemon sends it, then hangs up. Usually empty.
    public var finalReply: [UInt8]

    public init(_ reason: Reason, offset: Int, finalReply: [UInt8] = []) {
        self.reason = reason
        self.offset = offset
        self.finalReply = finalReply
    }

    public var description: String {
        let what: String
        switch reason {
        case .missingNulByte(let found): what = "the first byte must be NUL, got 0x\(String(found, radix: 16))"
        case .lineTooLong(let limit): what = "a line is longer than \(limit) bytes"
        case .invalidByte(let byte): what = "a line contains byte 0x\(String(byte, radix: 16)); only ASCII without NUL is allowed"
        case .malformedLineEnd: what = "lines must end in CRLF; found a lone CR or LF"
        case .beginBeforeAuthentication: what = "BEGIN was sent before the server answered OK"
        case .tooManyRejections(let limit): what = "authentication was rejected \(limit) times"
        case .tooManyCommands(let limit): what = "more than \(limit) commands were sent without BEGIN"
        case .alreadyFinished: what = "bytes were fed after the conversation had ended"
        case .rejected(let mechanisms): what = "the server rejected us; it supports: \(mechanisms.joined(separator: " "))"
        case .serverError(let text): what = "the server answered ERROR \(text)"
        case .unexpectedReply(let line): what = "unexpected reply '\(line)'"
        case .guidMismatch(let expected, let received): what = "the server's GUID is \(received), the address says \(expected)"
        }
        return "SASL: \(what) (at byte \(offset))"
    }
}
