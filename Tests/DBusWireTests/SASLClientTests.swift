// SASL client tests, and client and server wired together in memory.
import Testing
@testable import DBusWire

@Suite struct SASLClientTests {
    typealias F = SASLFixture

    @Test func pipelinedSocketCredentialsWriteIsWhatSdBusSends() {
        let client = SASLClient(credential: .socket, negotiateUnixFDs: true)
        #expect(F.text(client.start()) == "\0AUTH EXTERNAL\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n")
    }

    @Test func pipelinedUidWriteCarriesTheHexDecimalUid() {
        let client = SASLClient(credential: .uid(1000), negotiateUnixFDs: false, extensionCommand: "SWIFTBUS_KDBUS v1")
        #expect(F.text(client.start()) == "\0AUTH EXTERNAL 31303030\r\nSWIFTBUS_KDBUS v1\r\nBEGIN\r\n")
    }

    @Test func readsPipelinedRepliesAndLeavesMessageBytes() throws {
        var client = SASLClient(credential: .socket, negotiateUnixFDs: true)
        _ = client.start()
        let replies = F.bytes("DATA\r\n" + F.ok + "AGREE_UNIX_FD\r\n")
        let step = try client.feed(replies + F.messageStart)
        #expect(step.output.isEmpty)
        #expect(step.outcome == SASLClientOutcome(serverGUID: F.guid, unixFDsAgreed: true, extensionReply: nil, consumedBytes: replies.count))
    }

    /// The bytes dbus-daemon 1.14.10 sent back for exactly this client's pipelined write
    /// (captured with a raw socket): the extension costs nothing and the client stays classic.
    @Test func understandsDbusDaemonsAnswerToThePipelinedExtension() throws {
        var client = SASLClient(credential: .socket, negotiateUnixFDs: true, extensionCommand: "SWIFTBUS_KDBUS v1")
        #expect(F.text(client.start()) == "\0AUTH EXTERNAL\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\nSWIFTBUS_KDBUS v1\r\nBEGIN\r\n")
        let transcript = "DATA\r\nOK 44cdd87f2932fad31f6271ef6b0a33ae\r\nAGREE_UNIX_FD\r\nERROR \"Unknown command\"\r\n"
        let outcome = try #require(try client.feed(F.bytes(transcript)).outcome)
        #expect(outcome.serverGUID == DBusGUID("44cdd87f2932fad31f6271ef6b0a33ae"))
        #expect(outcome.unixFDsAgreed)
        #expect(outcome.extensionReply == .refused("\"Unknown command\""))
        #expect(outcome.consumedBytes == transcript.utf8.count)
    }

    @Test func stepByStepSendsEachCommandAfterTheReplyBeforeIt() throws {
        var client = SASLClient(credential: .socket, negotiateUnixFDs: true, extensionCommand: "SWIFTBUS_KDBUS v1", pipelined: false)
        #expect(F.text(client.start()) == "\0AUTH EXTERNAL\r\n")
        #expect(F.text(try client.feed(F.bytes("DATA\r\n")).output) == "DATA\r\n")
        #expect(F.text(try client.feed(F.bytes(F.ok)).output) == "NEGOTIATE_UNIX_FD\r\n")
        #expect(F.text(try client.feed(F.bytes("ERROR \"no fds here\"\r\n")).output) == "SWIFTBUS_KDBUS v1\r\n")
        let last = try client.feed(F.bytes("KDBUS_AGREED v1\r\n"))
        #expect(F.text(last.output) == "BEGIN\r\n")
        #expect(last.outcome?.unixFDsAgreed == false)
        #expect(last.outcome?.extensionReply == .accepted("KDBUS_AGREED v1"))
    }

    @Test func repliesSplitAcrossChunksAreReassembled() throws {
        var client = SASLClient(credential: .uid(1000), negotiateUnixFDs: true)
        _ = client.start()
        var outcome: SASLClientOutcome?
        for byte in F.bytes(F.ok + "AGREE_UNIX_FD\r\n") {
            outcome = try client.feed([byte]).outcome ?? outcome
        }
        #expect(outcome?.serverGUID == F.guid)
        #expect(outcome?.unixFDsAgreed == true)
        #expect(outcome?.consumedBytes == 1)
    }

    @Test func rejectedFailsWithTheServersMechanisms() {
        var client = SASLClient(credential: .uid(1000))
        _ = client.start()
        #expect(throws: SASLError(.rejected(mechanisms: ["EXTERNAL", "ANONYMOUS"]), offset: 0)) {
            try client.feed(F.bytes("REJECTED EXTERNAL ANONYMOUS\r\n"))
        }
    }

    @Test func errorToAuthFails() {
        var client = SASLClient(credential: .uid(1000))
        _ = client.start()
        #expect(throws: SASLError(.serverError("\"Invalid hex encoding\""), offset: 0)) {
            try client.feed(F.bytes("ERROR \"Invalid hex encoding\"\r\n"))
        }
    }

    @Test(arguments: ["OK 0123\r\n", "AGREE_UNIX_FD\r\n", "DATA\r\n", "OK\r\n"])
    func malformedOrMisplacedRepliesFail(reply: String) {
        var client = SASLClient(credential: .uid(1000))
        _ = client.start()
        #expect(throws: SASLError(.unexpectedReply(String(reply.dropLast())), offset: 0)) { try client.feed(F.bytes(reply)) }
    }

    @Test func guidMustMatchTheAddress() {
        let other = DBusGUID("ffffffffffffffffffffffffffffffff")!
        var client = SASLClient(credential: .uid(1000), negotiateUnixFDs: false, expectedGUID: other)
        _ = client.start()
        #expect(throws: SASLError(.guidMismatch(expected: other, received: F.guid), offset: 0)) { try client.feed(F.bytes(F.ok)) }
    }

    @Test func unixFDRefusalIsNotAFailure() throws {
        var client = SASLClient(credential: .uid(1000), negotiateUnixFDs: true)
        _ = client.start()
        let outcome = try client.feed(F.bytes(F.ok + "ERROR\r\n")).outcome
        #expect(outcome?.unixFDsAgreed == false)
    }

    @Test func garbageFromTheServerFails() {
        var client = SASLClient()
        _ = client.start()
        #expect(throws: SASLError(.malformedLineEnd, offset: 4)) { try client.feed(F.bytes("DATA\n")) }
    }

    @Test func feedingAfterTheOutcomeIsRefused() throws {
        var client = SASLClient(credential: .uid(1), negotiateUnixFDs: false)
        _ = client.start()
        _ = try client.feed(F.bytes(F.ok))
        #expect(throws: SASLError.self) { try client.feed(F.bytes(F.ok)) }
    }
}

/// Client and server wired together in memory, the way a SwiftBus client meets swiftbusd,
/// dbus-daemon (no extension) or a server without fd passing.
@Suite struct SASLConversationTests {
    typealias F = SASLFixture

    struct Result {
        var client: SASLClientOutcome
        var server: SASLServerOutcome
        var serverAfter: SASLServer
    }

    /// Runs the conversation; the client's first message bytes follow its SASL bytes in the
    /// same write once BEGIN has been produced, as a real client does.
    static func converse(_ clientIn: SASLClient, _ serverIn: SASLServer) throws -> Result {
        var client = clientIn
        var server = serverIn
        var toServer = client.start()
        var clientOutcome: SASLClientOutcome?
        var serverOutcome: SASLServerOutcome?
        for _ in 0..<10 where clientOutcome == nil || serverOutcome == nil {
            if serverOutcome == nil, !toServer.isEmpty {
                let begun = clientOutcome != nil || (client.pipelined && toServer.first == 0)
                let sent = toServer + (begun ? F.messageStart : [])
                let step = try server.feed(sent)
                toServer = []
                if let outcome = step.outcome {
                    #expect(Array(sent[outcome.consumedBytes...]) == F.messageStart)
                    serverOutcome = outcome
                }
                if clientOutcome == nil, !step.reply.isEmpty {
                    let clientStep = try client.feed(step.reply)
                    toServer = clientStep.output
                    clientOutcome = clientStep.outcome
                    if let outcome = clientOutcome { #expect(outcome.consumedBytes == step.reply.count) }
                }
            }
        }
        return Result(client: try #require(clientOutcome), server: try #require(serverOutcome), serverAfter: server)
    }

    @Test(arguments: [true, false], [SASLClient.Credential.socket, .uid(1000)])
    func swiftBusClientMeetsSwiftbusd(pipelined: Bool, credential: SASLClient.Credential) throws {
        let client = SASLClient(credential: credential, negotiateUnixFDs: true, extensionCommand: "SWIFTBUS_KDBUS v1", pipelined: pipelined)
        let result = try Self.converse(client, F.server(extension: RecordingExtension()))
        #expect(result.client.serverGUID == F.guid)
        #expect(result.client.unixFDsAgreed)
        #expect(result.client.extensionReply == .accepted("KDBUS_AGREED v1"))
        #expect(result.server.identity == .uid(1000))
        #expect(result.server.unixFDsNegotiated)
        #expect((result.serverAfter.commandExtension as? RecordingExtension)?.requested == true)
    }

    @Test(arguments: [true, false])
    func swiftBusClientStaysClassicWithAServerThatLacksTheExtension(pipelined: Bool) throws {
        let client = SASLClient(credential: .socket, negotiateUnixFDs: true, extensionCommand: "SWIFTBUS_KDBUS v1", pipelined: pipelined)
        let result = try Self.converse(client, F.server(fds: false))
        #expect(result.client.extensionReply == .refused("\"Unknown command\""))
        #expect(!result.client.unixFDsAgreed)
        #expect(!result.server.unixFDsNegotiated)
        #expect(result.server.identity == .uid(1000))
    }

    @Test func anonymousClientMeetsAServerThatAllowsIt() throws {
        let client = SASLClient(credential: .anonymous, negotiateUnixFDs: false)
        let result = try Self.converse(client, F.server(uid: nil, anonymous: true))
        #expect(result.server.identity == .anonymous)
        #expect(result.client.serverGUID == F.guid)
    }

    @Test func wrongUidEndsInRejection() throws {
        var client = SASLClient(credential: .uid(0), negotiateUnixFDs: true, pipelined: false)
        var server = F.server()
        let reply = try server.feed(client.start()).reply
        #expect(throws: SASLError(.rejected(mechanisms: ["EXTERNAL"]), offset: 0)) { try client.feed(reply) }
    }
}
