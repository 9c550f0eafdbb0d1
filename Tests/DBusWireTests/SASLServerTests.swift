// SASL server tests: every real client style, every reply, every rule broken.
import Testing
@testable import DBusWire

@Suite struct SASLServerTests {
    typealias F = SASLFixture

    // MARK: - Real clients

    @Test func libdbusStyleOneCommandPerWrite() throws {
        var server = F.server()
        let auth = try server.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\n"))
        #expect(F.text(auth.reply) == F.ok)
        #expect(auth.outcome == nil)
        #expect(F.text(try server.feed(F.bytes("NEGOTIATE_UNIX_FD\r\n")).reply) == "AGREE_UNIX_FD\r\n")
        let begin = try server.feed(F.bytes("BEGIN\r\n"))
        #expect(begin.reply.isEmpty)
        #expect(begin.outcome == SASLServerOutcome(identity: .uid(1000), mechanism: .external, unixFDsNegotiated: true, consumedBytes: 7))
        #expect(server.isFinished)
    }

    @Test func sdBusStyleEverythingInOneChunkWithTheFirstMessage() throws {
        var server = F.server()
        let sasl = F.bytes("\0AUTH EXTERNAL\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n")
        let step = try server.feed(sasl + F.messageStart)
        #expect(F.text(step.reply) == "DATA\r\n" + F.ok + "AGREE_UNIX_FD\r\n")
        let outcome = try #require(step.outcome)
        #expect(outcome.consumedBytes == sasl.count)
        #expect(outcome.identity == .uid(1000))
        #expect(outcome.unixFDsNegotiated)
    }

    @Test func pipelinedUidClaimWithMessageBytes() throws {
        var server = F.server(uid: 0)
        let sasl = F.bytes("\0AUTH EXTERNAL 30\r\nBEGIN\r\n")
        let step = try server.feed(sasl + F.messageStart)
        #expect(F.text(step.reply) == F.ok)
        #expect(step.outcome?.consumedBytes == sasl.count)
        #expect(step.outcome?.identity == .uid(0))
        #expect(step.outcome?.unixFDsNegotiated == false)
    }

    @Test func gdbusStyleEmptyResponseThenEmptyData() throws {
        var server = F.server()
        #expect(F.text(try server.feed(F.bytes("\0AUTH EXTERNAL\r\n")).reply) == "DATA\r\n")
        #expect(F.text(try server.feed(F.bytes("DATA\r\n")).reply) == F.ok)
        #expect(try server.feed(F.bytes("BEGIN\r\n")).outcome?.identity == .uid(1000))
    }

    @Test func dataMayCarryTheUidInstead() throws {
        var server = F.server()
        _ = try server.feed(F.bytes("\0AUTH EXTERNAL\r\n"))
        #expect(F.text(try server.feed(F.bytes("DATA 31303030\r\n")).reply) == F.ok)
    }

    @Test func bareAuthListsTheMechanismsThenAuthSucceeds() throws {
        var server = F.server()
        #expect(F.text(try server.feed(F.bytes("\0AUTH\r\n")).reply) == "REJECTED EXTERNAL\r\n")
        #expect(F.text(try server.feed(F.bytes("AUTH EXTERNAL 31303030\r\n")).reply) == F.ok)
    }

    @Test func byteByByteFeedingGivesTheSameConversation() throws {
        let input = F.bytes("\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n") + F.messageStart
        var whole = F.server()
        let wholeStep = try whole.feed(input)
        var server = F.server()
        var reply: [UInt8] = []
        var outcome: SASLServerOutcome?
        for byte in input where outcome == nil {
            let step = try server.feed([byte])
            reply += step.reply
            outcome = step.outcome
        }
        #expect(reply == wholeStep.reply)
        #expect(outcome?.consumedBytes == 1)
        #expect(wholeStep.outcome?.consumedBytes == input.count - F.messageStart.count)
    }

    // MARK: - EXTERNAL decisions

    @Test func wrongUidIsRejectedAndTheClientMayRetry() throws {
        var server = F.server()
        #expect(F.text(try server.feed(F.bytes("\0AUTH EXTERNAL 30\r\n")).reply) == "REJECTED EXTERNAL\r\n")
        #expect(F.text(try server.feed(F.bytes("AUTH EXTERNAL 31303030\r\n")).reply) == F.ok)
    }

    @Test(arguments: ["61626364", "3939393939393939393939", "2d31", ""])
    func nonDecimalOrOverflowingUidIsRejected(hex: String) throws {
        var server = F.server()
        _ = try server.feed(F.bytes("\0AUTH EXTERNAL\r\n"))
        let reply = try server.feed(F.bytes(hex.isEmpty ? "DATA 20\r\n" : "DATA \(hex)\r\n")).reply
        #expect(F.text(reply) == "REJECTED EXTERNAL\r\n")
    }

    @Test func withoutSocketCredentialsExternalAlwaysFails() throws {
        var server = F.server(uid: nil)
        #expect(F.text(try server.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\n")).reply) == "REJECTED EXTERNAL\r\n")
        _ = try server.feed(F.bytes("AUTH EXTERNAL\r\n"))
        #expect(F.text(try server.feed(F.bytes("DATA\r\n")).reply) == "REJECTED EXTERNAL\r\n")
    }

    @Test(arguments: ["AUTH EXTERNAL 3g", "AUTH EXTERNAL 313", "AUTH EXTERNAL 31 30"])
    func nonHexResponseGetsAnErrorAndTheConversationGoesOn(line: String) throws {
        var server = F.server()
        #expect(F.text(try server.feed(F.bytes("\0\(line)\r\n")).reply) == "ERROR \"Invalid hex encoding\"\r\n")
        #expect(F.text(try server.feed(F.bytes("AUTH EXTERNAL 31303030\r\n")).reply) == F.ok)
    }

    @Test func unknownMechanismIsRejected() throws {
        var server = F.server()
        #expect(F.text(try server.feed(F.bytes("\0AUTH DBUS_COOKIE_SHA1 31303030\r\n")).reply) == "REJECTED EXTERNAL\r\n")
    }

    // MARK: - ANONYMOUS

    @Test func anonymousIsOffByDefault() throws {
        var server = F.server()
        #expect(F.text(try server.feed(F.bytes("\0AUTH ANONYMOUS\r\n")).reply) == "REJECTED EXTERNAL\r\n")
    }

    @Test func anonymousWhenAllowed() throws {
        var server = F.server(uid: nil, anonymous: true)
        #expect(F.text(try server.feed(F.bytes("\0AUTH\r\n")).reply) == "REJECTED EXTERNAL ANONYMOUS\r\n")
        #expect(F.text(try server.feed(F.bytes("AUTH ANONYMOUS 74657374\r\n")).reply) == F.ok)
        let outcome = try server.feed(F.bytes("BEGIN\r\n")).outcome
        #expect(outcome?.identity == .anonymous)
        #expect(outcome?.mechanism == .anonymous)
    }

    // MARK: - Commands in the wrong place

    @Test func beginBeforeOkDisconnects() {
        var server = F.server()
        #expect(throws: SASLError(.beginBeforeAuthentication, offset: 1)) { try server.feed(F.bytes("\0BEGIN\r\n")) }
        var waiting = F.server()
        #expect(throws: SASLError(.beginBeforeAuthentication, offset: 16)) {
            try waiting.feed(F.bytes("\0AUTH EXTERNAL\r\nBEGIN\r\n"))
        }
    }

    @Test func cancelMidWayIsRejectedAndAuthCanStartOver() throws {
        var server = F.server()
        _ = try server.feed(F.bytes("\0AUTH EXTERNAL\r\n"))
        #expect(F.text(try server.feed(F.bytes("CANCEL\r\n")).reply) == "REJECTED EXTERNAL\r\n")
        #expect(F.text(try server.feed(F.bytes("DATA\r\n")).reply) == "ERROR \"Not currently in an auth conversation\"\r\n")
        #expect(F.text(try server.feed(F.bytes("AUTH EXTERNAL 31303030\r\n")).reply) == F.ok)
    }

    @Test func errorFromTheClientAfterOkUndoesAuthentication() throws {
        var server = F.server()
        _ = try server.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\n"))
        #expect(F.text(try server.feed(F.bytes("ERROR \"changed my mind\"\r\n")).reply) == "REJECTED EXTERNAL\r\n")
        #expect(throws: SASLError.self) { try server.feed(F.bytes("BEGIN\r\n")) }
    }

    @Test func errorWhileWaitingForDataIsRejected() throws {
        var server = F.server()
        _ = try server.feed(F.bytes("\0AUTH EXTERNAL\r\n"))
        #expect(F.text(try server.feed(F.bytes("ERROR\r\n")).reply) == "REJECTED EXTERNAL\r\n")
    }

    @Test func unknownCommandsGetAnErrorAndTheConversationGoesOn() throws {
        var server = F.server()
        let step = try server.feed(F.bytes("\0HELLO\r\nAUTH EXTERNAL 31303030\r\nFROBNICATE x\r\nBEGIN\r\n"))
        let unknown = "ERROR \"Unknown command\"\r\n"
        #expect(F.text(step.reply) == unknown + F.ok + unknown)
        #expect(step.outcome?.identity == .uid(1000))
    }

    @Test func negotiateUnixFDNeedsAuthenticationAndAnFDTransport() throws {
        var early = F.server()
        #expect(F.text(try early.feed(F.bytes("\0NEGOTIATE_UNIX_FD\r\n")).reply) == "ERROR \"Need to authenticate first\"\r\n")
        var noFDs = F.server(fds: false)
        let step = try noFDs.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n"))
        #expect(F.text(step.reply).hasSuffix("ERROR \"Unix FD passing not supported, not authenticated or otherwise not possible\"\r\n"))
        #expect(step.outcome?.unixFDsNegotiated == false)
    }

    @Test func authWhileWaitingForBeginIsAnError() throws {
        var server = F.server()
        _ = try server.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\n"))
        #expect(F.text(try server.feed(F.bytes("AUTH EXTERNAL 31303030\r\n")).reply) == "ERROR \"Sent AUTH while expecting BEGIN\"\r\n")
        #expect(try server.feed(F.bytes("BEGIN\r\n")).outcome != nil)
    }

    // MARK: - Extension hook

    @Test func extensionAnswersItsCommandAfterNegotiateUnixFD() throws {
        var server = F.server(extension: RecordingExtension())
        let step = try server.feed(F.bytes("\0AUTH EXTERNAL\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\nSWIFTBUS_KDBUS v1\r\nBEGIN\r\n"))
        #expect(F.text(step.reply) == "DATA\r\n" + F.ok + "AGREE_UNIX_FD\r\nKDBUS_AGREED v1\r\n")
        #expect(step.outcome != nil)
        let ext = try #require(server.commandExtension as? RecordingExtension)
        #expect(ext.requested)
        #expect(ext.sawUnixFDs)
    }

    @Test func extensionIsNotConsultedBeforeAuthenticationNorForOtherCommands() throws {
        var server = F.server(extension: RecordingExtension())
        let step = try server.feed(F.bytes("\0SWIFTBUS_KDBUS v1\r\nAUTH EXTERNAL 31303030\r\nOTHER\r\n"))
        #expect(F.text(step.reply) == "ERROR \"Unknown command\"\r\n" + F.ok + "ERROR \"Unknown command\"\r\n")
        #expect((server.commandExtension as? RecordingExtension)?.requested == false)
    }

    @Test func withoutAnExtensionItsCommandGetsUnknownCommandAndBeginStillWorks() throws {
        var server = F.server()
        let step = try server.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\nNEGOTIATE_UNIX_FD\r\nSWIFTBUS_KDBUS v1\r\nBEGIN\r\n"))
        #expect(F.text(step.reply) == F.ok + "AGREE_UNIX_FD\r\nERROR \"Unknown command\"\r\n")
        #expect(step.outcome?.unixFDsNegotiated == true)
    }

    // MARK: - Malformed input

    @Test func missingNulByteDisconnects() {
        var server = F.server()
        #expect(throws: SASLError(.missingNulByte(found: 0x41), offset: 0)) { try server.feed(F.bytes("AUTH EXTERNAL 31303030\r\n")) }
    }

    @Test func aLineOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot() throws {
        let longest = String(repeating: "X", count: SASLLimits.maxLineLength - 2)
        var server = F.server()
        #expect(F.text(try server.feed(F.bytes("\0\(longest)\r\n")).reply) == "ERROR \"Unknown command\"\r\n")
        var tooLong = F.server()
        #expect(throws: SASLError(.lineTooLong(limit: SASLLimits.maxLineLength), offset: 1)) {
            try tooLong.feed(F.bytes("\0\(longest)X\r\n"))
        }
    }

    @Test func aLineWithoutEndIsCutOffAtTheLimitEvenInSmallChunks() throws {
        var server = F.server()
        _ = try server.feed([0])
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 1000)
        var failure: SASLError?
        for _ in 0..<100 where failure == nil {
            do { _ = try server.feed(chunk) } catch { failure = error }
        }
        #expect(failure?.reason == .lineTooLong(limit: SASLLimits.maxLineLength))
    }

    @Test func tooManyCommandsDisconnects() throws {
        var server = F.server()
        _ = try server.feed([0])
        for _ in 0..<SASLLimits.maxCommands { _ = try server.feed(F.bytes("NOOP\r\n")) }
        #expect(throws: SASLError(.tooManyCommands(limit: SASLLimits.maxCommands), offset: 1 + 6 * SASLLimits.maxCommands)) {
            try server.feed(F.bytes("NOOP\r\n"))
        }
    }

    @Test func tooManyRejectionsDisconnects() throws {
        var server = F.server()
        _ = try server.feed([0])
        for _ in 1..<SASLLimits.maxRejections {
            #expect(F.text(try server.feed(F.bytes("AUTH EXTERNAL 30\r\n")).reply) == "REJECTED EXTERNAL\r\n")
        }
        let last = SASLError(
            .tooManyRejections(limit: SASLLimits.maxRejections), offset: 1 + 18 * (SASLLimits.maxRejections - 1),
            finalReply: F.bytes("REJECTED EXTERNAL\r\n"))
        #expect(throws: last) { try server.feed(F.bytes("AUTH EXTERNAL 30\r\n")) }
        #expect(throws: last) { try server.feed(F.bytes("AUTH EXTERNAL 31303030\r\n")) }
    }

    @Test(arguments: [
        ([0x41, 0x55, 0x54, 0x48, 0xC3, 0xA9, 0x0D, 0x0A] as [UInt8], SASLError.Reason.invalidByte(0xC3), 5),
        ([0x41, 0x00, 0x0D, 0x0A], .invalidByte(0), 2),
        ([0x41, 0x55, 0x0A], .malformedLineEnd, 3),
        ([0x41, 0x0D, 0x41, 0x0D, 0x0A], .malformedLineEnd, 2),
    ])
    func garbageInALineDisconnects(line: [UInt8], reason: SASLError.Reason, offset: Int) {
        var server = F.server()
        #expect(throws: SASLError(reason, offset: offset)) { try server.feed([0] + line) }
    }

    @Test func afterAFailureEveryFeedThrowsTheSameError() {
        var server = F.server()
        let first = SASLError(.missingNulByte(found: 0x58), offset: 0)
        #expect(throws: first) { try server.feed(F.bytes("X")) }
        #expect(throws: first) { try server.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\n")) }
    }

    @Test func feedingAfterBeginIsRefused() throws {
        var server = F.server()
        _ = try server.feed(F.bytes("\0AUTH EXTERNAL 31303030\r\nBEGIN\r\n"))
        #expect(throws: SASLError.self) { try server.feed(F.bytes("BEGIN\r\n")) }
    }

    @Test func errorDescriptionSaysWhatAndWhere() {
        let error = SASLError(.lineTooLong(limit: 16384), offset: 1)
        #expect(error.description == "SASL: a line is longer than 16384 bytes (at byte 1)")
    }
}
