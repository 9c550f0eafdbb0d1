/// The client side of D-Bus authentication, as a pure state machine.
///
/// It authenticates with EXTERNAL (claiming a uid, or the empty response that lets the
/// server use the socket's credentials, which works across user namespaces) or ANONYMOUS,
/// optionally asks for unix fds, optionally sends one extension command, then BEGIN.
/// Pipelined, everything goes out in the first write and the replies are read as they come,
/// saving round trips (as sd-bus does); a server that does not know the extension answers
/// ERROR, which is tolerated, so the same client works against dbus-daemon and dbus-broker.
public struct SASLClient: Sendable {
    /// Which identity to present.
    public enum Credential: Sendable, Hashable {
        /// EXTERNAL with this uid as the initial response.
        case uid(UInt32)
        /// EXTERNAL with no response, then an empty DATA: "whatever the socket says".
        case socket
        /// ANONYMOUS; only servers configured for it accept it.
        case anonymous
    }

    /// What one call to `feed` produced.
    public struct Step: Sendable {
        /// Bytes to send to the server (empty when pipelined).
        public var output: [UInt8]
        /// Set once the server answered everything and BEGIN has been sent.
        public var outcome: SASLClientOutcome?
    }

    /// The exchanges that each await one server reply, in the order they are sent.
    enum Phase: Sendable { case auth, negotiateUnixFD, extensionCommand }

    public let credential: Credential
    public let negotiateUnixFDs: Bool
    /// A whole command line (without CRLF) sent after NEGOTIATE_UNIX_FD, or nil.
    public let extensionCommand: String?
    /// The GUID the address named; the server's OK must match it.
    public let expectedGUID: DBusGUID?
    public let pipelined: Bool

    private var phases: [Phase]
    private var reader = SASLLineReader()
    private var sawAuthData = false
    private var serverGUID: DBusGUID?
    private var unixFDsAgreed = false
    private var extensionReply: SASLClientOutcome.ExtensionReply?
    private var finished = false

    public init(
        credential: Credential = .socket, negotiateUnixFDs: Bool = true, extensionCommand: String? = nil,
        expectedGUID: DBusGUID? = nil, pipelined: Bool = true
    ) {
        self.credential = credential
        self.negotiateUnixFDs = negotiateUnixFDs
        self.extensionCommand = extensionCommand
        self.expectedGUID = expectedGUID
        self.pipelined = pipelined
        phases = [.auth] + (negotiateUnixFDs ? [.negotiateUnixFD] : []) + (extensionCommand != nil ? [.extensionCommand] : [])
    }

    /// The first bytes to write: NUL and AUTH, and when pipelined everything up to BEGIN.
    public func start() -> [UInt8] {
        var out: [UInt8] = [0] + authLine.bytes
        guard pipelined else { return out }
        if credential == .socket { out += SASLCommandLine(command: "DATA").bytes }
        for phase in phases.dropFirst() { out += line(for: phase).bytes }
        return out + SASLCommandLine(command: "BEGIN").bytes
    }

    private var authLine: SASLCommandLine {
        switch credential {
        case .uid(let uid):
            let hex = HexDigits.encode(String(uid).utf8)
            return SASLCommandLine(command: "AUTH", argument: "EXTERNAL " + String(decoding: hex, as: UTF8.self))
        case .socket: return SASLCommandLine(command: "AUTH", argument: SASLMechanism.external.rawValue)
        case .anonymous: return SASLCommandLine(command: "AUTH", argument: SASLMechanism.anonymous.rawValue)
        }
    }

    private func line(for phase: Phase) -> SASLCommandLine {
        switch phase {
        case .auth: authLine
        case .negotiateUnixFD: SASLCommandLine(command: "NEGOTIATE_UNIX_FD")
        case .extensionCommand: SASLCommandLine(command: extensionCommand ?? "")
        }
    }

    /// Feeds bytes received from the server. Throws when authentication failed or the
    /// server broke the protocol.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(SASLError) -> Step {
        if finished { throw SASLError(.alreadyFinished, offset: reader.streamOffset) }
        var output: [UInt8] = []
        var index = 0
        while let line = try reader.nextLine(in: chunk, at: &index) {
            let offset = reader.streamOffset - line.count - 2
            try handle(SASLCommandLine(line), raw: line, output: &output, offset: offset)
            // The auth phase comes first and only completes with a GUID, so it is set here.
            if phases.isEmpty, let serverGUID {
                finished = true
                if !pipelined { output += SASLCommandLine(command: "BEGIN").bytes }
                let outcome = SASLClientOutcome(
                    serverGUID: serverGUID, unixFDsAgreed: unixFDsAgreed, extensionReply: extensionReply,
                    consumedBytes: index)
                return Step(output: output, outcome: outcome)
            }
        }
        return Step(output: output, outcome: nil)
    }

    /// Convenience for callers holding an array.
    public mutating func feed(_ bytes: [UInt8]) throws(SASLError) -> Step {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(SASLError) -> Step in try self.feed(buffer) }
        }
        return try result.get()
    }

    private mutating func handle(_ reply: SASLCommandLine, raw: [UInt8], output: inout [UInt8], offset: Int) throws(SASLError) {
        let text = String(decoding: raw, as: UTF8.self)
        switch phases[0] {
        case .auth:
            if reply.command == "DATA", reply.argument.isEmpty, credential == .socket, !sawAuthData {
                sawAuthData = true
                if !pipelined { output += SASLCommandLine(command: "DATA").bytes }
                return
            }
            try acceptAuthReply(reply, text: text, offset: offset)
        case .negotiateUnixFD:
            switch reply.command {
            case "AGREE_UNIX_FD" where reply.argument.isEmpty: unixFDsAgreed = true
            case "ERROR": unixFDsAgreed = false
            default: throw SASLError(.unexpectedReply(text), offset: offset)
            }
        case .extensionCommand:
            extensionReply = reply.command == "ERROR" ? .refused(reply.argument) : .accepted(text)
        }
        phases.removeFirst()
        if !pipelined, let next = phases.first { output += line(for: next).bytes }
    }

    private mutating func acceptAuthReply(_ reply: SASLCommandLine, text: String, offset: Int) throws(SASLError) {
        switch reply.command {
        case "OK":
            guard let guid = DBusGUID(reply.argument) else { throw SASLError(.unexpectedReply(text), offset: offset) }
            if let expectedGUID, expectedGUID != guid {
                throw SASLError(.guidMismatch(expected: expectedGUID, received: guid), offset: offset)
            }
            serverGUID = guid
        case "REJECTED":
            let mechanisms = reply.argument.split(separator: " ").map(String.init)
            throw SASLError(.rejected(mechanisms: mechanisms), offset: offset)
        case "ERROR":
            throw SASLError(.serverError(reply.argument), offset: offset)
        default:
            throw SASLError(.unexpectedReply(text), offset: offset)
        }
    }
}
