/// The server side of D-Bus authentication (`SASLServer`), as a pure state machine: bytes
/// in, reply bytes and state out, no I/O.
///
/// Behaviour follows dbus-daemon 1.14 (`dbus-auth.c`) where it is observable to clients:
/// the same replies and error texts, REJECTED after a failed attempt, the EXTERNAL
/// empty-response dance (`AUTH EXTERNAL` → `DATA` → empty `DATA` → `OK`), and an unknown
/// command answered with `ERROR "Unknown command"` while the conversation carries on.
/// Input may be pipelined: when a chunk holds BEGIN and then message bytes, the outcome
/// says how many bytes were SASL's.
public struct SASLServer: Sendable {
    /// What one call to `feed` produced.
    public struct Step: Sendable {
        /// Bytes to send to the client, possibly several replies.
        public var reply: [UInt8]
        /// Set once the client sent BEGIN; the conversation is then over.
        public var outcome: SASLServerOutcome?
    }

    enum State: Sendable {
        case awaitingNulByte
        case awaitingAuth
        case awaitingData(SASLMechanism)
        case authenticated(SASLServerOutcome.Identity, SASLMechanism)
        case finished
        case failed(SASLError)
    }

    /// The server's id, sent in `OK`.
    public let guid: DBusGUID
    /// The uid the transport reported for the peer (`SO_PEERCRED`), nil when unknown.
    public let peerUID: UInt32?
    /// True when the transport can carry unix fds, so that NEGOTIATE_UNIX_FD may be agreed.
    public let canPassUnixFDs: Bool
    /// True when ANONYMOUS is offered.
    public let allowsAnonymous: Bool
    /// The hook for extension commands; handed back with whatever state it recorded.
    public private(set) var commandExtension: (any SASLServerExtension)?

    private var state = State.awaitingNulByte
    private var reader = SASLLineReader()
    private var rejections = 0
    private var commands = 0
    private var unixFDsNegotiated = false

    public init(
        guid: DBusGUID, peerUID: UInt32?, canPassUnixFDs: Bool, allowsAnonymous: Bool = false,
        commandExtension: (any SASLServerExtension)? = nil
    ) {
        self.guid = guid
        self.peerUID = peerUID
        self.canPassUnixFDs = canPassUnixFDs
        self.allowsAnonymous = allowsAnonymous
        self.commandExtension = commandExtension
    }

    /// True once BEGIN was accepted.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Feeds the next bytes received from the client. Throws when the client must be
    /// disconnected; every later call throws the same error.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(SASLError) -> Step {
        switch state {
        case .failed(let error): throw error
        case .finished: throw SASLError(.alreadyFinished, offset: reader.streamOffset)
        default: break
        }
        var reply: [UInt8] = []
        var index = 0
        do throws(SASLError) {
            while index < chunk.count {
                if case .awaitingNulByte = state {
                    try takeNulByte(chunk[index])
                    index += 1
                    continue
                }
                guard let line = try reader.nextLine(in: chunk, at: &index) else { break }
                if let outcome = try handle(line, reply: &reply, consumed: index) {
                    return Step(reply: reply, outcome: outcome)
                }
            }
        } catch {
            state = .failed(error)
            throw error
        }
        return Step(reply: reply, outcome: nil)
    }

    /// Convenience for callers holding an array.
    public mutating func feed(_ bytes: [UInt8]) throws(SASLError) -> Step {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(SASLError) -> Step in try self.feed(buffer) }
        }
        return try result.get()
    }

    private mutating func takeNulByte(_ byte: UInt8) throws(SASLError) {
        guard byte == 0 else { throw SASLError(.missingNulByte(found: byte), offset: 0) }
        reader.skipByte()
        state = .awaitingAuth
    }

    // MARK: - Commands

    private mutating func handle(_ line: [UInt8], reply: inout [UInt8], consumed: Int) throws(SASLError) -> SASLServerOutcome? {
        let offset = reader.streamOffset - line.count - 2
        commands += 1
        if commands > SASLLimits.maxCommands {
            throw SASLError(.tooManyCommands(limit: SASLLimits.maxCommands), offset: offset)
        }
        let command = SASLCommandLine(line)
        let answer: ServerReply
        switch state {
        case .awaitingAuth: answer = try whileAwaitingAuth(command, offset: offset)
        case .awaitingData(let mechanism): answer = try whileAwaitingData(command, mechanism: mechanism, offset: offset)
        case .authenticated(let identity, let mechanism):
            if command.command == "BEGIN" && command.argument.isEmpty {
                state = .finished
                return SASLServerOutcome(
                    identity: identity, mechanism: mechanism, unixFDsNegotiated: unixFDsNegotiated, consumedBytes: consumed)
            }
            answer = whileAuthenticated(command)
        case .awaitingNulByte, .finished, .failed: throw SASLError(.alreadyFinished, offset: offset)
        }
        try append(answer, to: &reply, offset: offset)
        return nil
    }

    /// The replies the server sends, before they are turned into bytes.
    enum ServerReply {
        case ok
        case rejected
        case data
        case error(String)
        case agreeUnixFD
        case raw(String)
    }

    private mutating func append(_ answer: ServerReply, to reply: inout [UInt8], offset: Int) throws(SASLError) {
        let line: SASLCommandLine
        switch answer {
        case .ok: line = SASLCommandLine(command: "OK", argument: guid.hex)
        case .data: line = SASLCommandLine(command: "DATA")
        case .agreeUnixFD: line = SASLCommandLine(command: "AGREE_UNIX_FD")
        case .error(let text): line = SASLCommandLine(command: "ERROR", argument: "\"\(text)\"")
        case .raw(let text): line = SASLCommandLine(command: text)
        case .rejected:
            line = SASLCommandLine(command: "REJECTED", argument: offeredMechanisms.map(\.rawValue).joined(separator: " "))
        }
        reply += line.bytes
        if case .rejected = answer {
            rejections += 1
            unixFDsNegotiated = false
            state = .awaitingAuth
            if rejections >= SASLLimits.maxRejections {
                throw SASLError(.tooManyRejections(limit: SASLLimits.maxRejections), offset: offset, finalReply: reply)
            }
        }
    }

    private var offeredMechanisms: [SASLMechanism] { allowsAnonymous ? [.external, .anonymous] : [.external] }

    private mutating func whileAwaitingAuth(_ line: SASLCommandLine, offset: Int) throws(SASLError) -> ServerReply {
        switch line.command {
        case "AUTH": return startAuth(line.argument)
        case "CANCEL", "ERROR": return .rejected
        case "BEGIN": throw SASLError(.beginBeforeAuthentication, offset: offset)
        case "DATA": return .error("Not currently in an auth conversation")
        case "NEGOTIATE_UNIX_FD": return .error("Need to authenticate first")
        default: return .error("Unknown command")
        }
    }

    private mutating func whileAwaitingData(_ line: SASLCommandLine, mechanism: SASLMechanism, offset: Int) throws(SASLError) -> ServerReply {
        switch line.command {
        case "DATA": return respond(mechanism, hexResponse: line.argument)
        case "CANCEL", "ERROR": return .rejected
        case "BEGIN": throw SASLError(.beginBeforeAuthentication, offset: offset)
        case "AUTH": return .error("Sent AUTH while another AUTH in progress")
        case "NEGOTIATE_UNIX_FD": return .error("Need to authenticate first")
        default: return .error("Unknown command")
        }
    }

    private mutating func whileAuthenticated(_ line: SASLCommandLine) -> ServerReply {
        switch line.command {
        case "NEGOTIATE_UNIX_FD":
            guard canPassUnixFDs else {
                return .error("Unix FD passing not supported, not authenticated or otherwise not possible")
            }
            unixFDsNegotiated = true
            return .agreeUnixFD
        case "CANCEL", "ERROR": return .rejected
        case "AUTH": return .error("Sent AUTH while expecting BEGIN")
        case "DATA": return .error("Sent DATA while expecting BEGIN")
        case "BEGIN": return .error("BEGIN takes no argument")
        default:
            if let text = commandExtension?.reply(
                toCommand: line.command, argument: line.argument, unixFDsNegotiated: unixFDsNegotiated)
            {
                // The reply goes on the wire as one line; anything else would desynchronise the client.
                precondition(text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "extension reply must be printable ASCII")
                return .raw(text)
            }
            return .error("Unknown command")
        }
    }

    // MARK: - Mechanisms

    private mutating func startAuth(_ argument: String) -> ServerReply {
        let parts = SASLCommandLine(Array(argument.utf8))
        switch SASLMechanism(rawValue: parts.command) {
        case .external:
            if parts.argument.isEmpty {
                // No initial response: ask for one. An empty DATA back means "use what the socket says".
                state = .awaitingData(.external)
                return .data
            }
            return respond(.external, hexResponse: parts.argument)
        case .anonymous where allowsAnonymous:
            return respond(.anonymous, hexResponse: parts.argument)
        default:
            return .rejected
        }
    }

    private mutating func respond(_ mechanism: SASLMechanism, hexResponse: String) -> ServerReply {
        guard case .success(let response) = HexDigits.decode(hexResponse.utf8) else {
            return .error("Invalid hex encoding")
        }
        switch mechanism {
        case .anonymous:
            // The response is free-form trace information; it proves nothing, so it is not checked.
            state = .authenticated(.anonymous, .anonymous)
            return .ok
        case .external:
            guard let peerUID, response.isEmpty || Self.decimalUID(response) == peerUID else {
                state = .awaitingAuth
                return .rejected
            }
            state = .authenticated(.uid(peerUID), .external)
            return .ok
        }
    }

    /// Parses the ASCII decimal uid EXTERNAL carries; nil unless it is all digits and fits 32 bits.
    static func decimalUID(_ digits: [UInt8]) -> UInt32? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(digit - UInt8(ascii: "0"))
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }
}
