// KDBus negotiation tests: the offer and agreement lines, and a whole SASL conversation.
import Testing
@testable import DBusWire

/// The server side as swiftbusd will run it: parse the offer, grant it within limits.
private struct KDBusNegotiationExtension: SASLServerExtension {
    var agreement: KDBusAgreement?
    var maxPoolSize = KDBusLimits.maxPoolSize

    mutating func reply(toCommand command: String, argument: String, unixFDsNegotiated: Bool) -> String? {
        guard command == KDBusNegotiation.command, let offer = try? KDBusOffer(parsingArgument: argument) else { return nil }
        let granted = offer.granted(maxPoolSize: maxPoolSize)
        agreement = granted
        return granted.replyLine
    }
}

@Suite struct KDBusNegotiationTests {
    @Test func offerLineIsTheDocumentedText() {
        let offer = KDBusOffer(poolSize: 1 << 23, arenaSize: 1 << 20, memfdThreshold: 1 << 19, metadata: [.credentials, .pids, .timestamp])
        #expect(offer.commandLine == "SWIFTBUS_KDBUS version=3 pool=8388608 arena=1048576 threshold=524288 metadata=creds,pids,timestamp")
        #expect(KDBusOffer().commandLine.hasSuffix("metadata=none"))
    }

    @Test func offerRoundTripsThroughItsArgument() throws {
        let offer = KDBusOffer(poolSize: 1 << 22, arenaSize: 1 << 17, memfdThreshold: 65536, metadata: .all)
        let argument = String(offer.commandLine.dropFirst(KDBusNegotiation.command.count + 1))
        #expect(try KDBusOffer(parsingArgument: argument) == offer)
        #expect(KDBusMetadataSet.all.negotiationValue
            == "creds,pids,pidfd,comm,exe,cmdline,cgroup,caps,seclabel,audit,names,timestamp,groups")
    }

    @Test func unknownParametersAreIgnoredForForwardCompatibility() throws {
        let offer = try KDBusOffer(parsingArgument: "version=3 pool=65536 arena=65536 threshold=4096 metadata=none future=yes")
        #expect(offer.poolSize == 65536)
    }

    @Test(arguments: [
        ("version=1 pool=65536 arena=65536 threshold=4096 metadata=none", KDBusNegotiationError(.unsupportedVersion(1), parameter: "version")),
        ("version=2 pool=65536 arena=65536 threshold=4096 metadata=none", KDBusNegotiationError(.unsupportedVersion(2), parameter: "version")),
        ("version=3 pool=65535 arena=65536 threshold=4096 metadata=none",
         KDBusNegotiationError(.outOfRange(value: 65535, range: 65536...(1 << 40)), parameter: "pool")),
        ("version=3 pool=65536 threshold=4096 metadata=none", KDBusNegotiationError(.missing, parameter: "arena")),
        ("version=3 pool=0x10000 arena=65536 threshold=4096 metadata=none", KDBusNegotiationError(.notANumber("0x10000"), parameter: "pool")),
        ("version=3 pool=+65536 arena=65536 threshold=4096 metadata=none", KDBusNegotiationError(.notANumber("+65536"), parameter: "pool")),
        ("version=3 version=2", KDBusNegotiationError(.duplicate, parameter: "version")),
        ("version=3 pool", KDBusNegotiationError(.malformed("pool"), parameter: "line")),
        ("version=3 pool=65536 arena=65536 threshold=4096 metadata=creds,bogus",
         KDBusNegotiationError(.unknownMetadataItem("bogus"), parameter: "metadata")),
        ("version=3 pool=65536 arena=65536 threshold=4096 metadata=", KDBusNegotiationError(.unknownMetadataItem(""), parameter: "metadata")),
    ])
    func badOffersNameTheParameter(argument: String, error: KDBusNegotiationError) {
        #expect(throws: error) { try KDBusOffer(parsingArgument: argument) }
    }

    @Test func tooManyParametersAreRefused() {
        let argument = (0..<17).map { "k\($0)=1" }.joined(separator: " ")
        #expect(throws: KDBusNegotiationError(.tooLong, parameter: "line")) { try KDBusOffer(parsingArgument: argument) }
    }

    @Test func serverLowersSizesAndTheClientAcceptsThat() throws {
        let offer = KDBusOffer(poolSize: 1 << 30, arenaSize: 100_000)
        let granted = offer.granted()
        #expect(granted.poolSize == KDBusLimits.maxPoolSize)
        #expect(granted.arenaSize == 102_400, "rounded up to whole pages")
        #expect(try KDBusAgreement(parsingReply: granted.replyLine, offer: offer) == granted)
    }

    @Test func clientRefusesAGrantAboveItsOffer() throws {
        let offer = KDBusOffer(poolSize: 1 << 20)
        let greedy = KDBusAgreement(version: KDBusLimits.protocolVersion, poolSize: 1 << 21, arenaSize: offer.arenaSize, memfdThreshold: offer.memfdThreshold, metadata: [])
        #expect(throws: KDBusNegotiationError(.grantExceedsOffer(granted: 1 << 21, offered: 1 << 20), parameter: "pool")) {
            try KDBusAgreement(parsingReply: greedy.replyLine, offer: offer)
        }
        #expect(throws: KDBusNegotiationError(.wrongCommand("AGREE_UNIX_FD"), parameter: "line")) {
            try KDBusAgreement(parsingReply: "AGREE_UNIX_FD", offer: offer)
        }
    }

    /// The offer rides the pipelined SASL conversation; the server's extension grants it.
    @Test(arguments: [true, false])
    func offerTravelsThroughSASL(pipelined: Bool) throws {
        let offer = KDBusOffer(poolSize: 1 << 29, metadata: [.credentials, .comm])
        var client = SASLClient(credential: .uid(1000), negotiateUnixFDs: true, extensionCommand: offer.commandLine, pipelined: pipelined)
        var server = SASLServer(guid: DBusGUID("0123456789abcdef0123456789abcdef")!, peerUID: 1000, canPassUnixFDs: true,
                                allowsAnonymous: false, commandExtension: KDBusNegotiationExtension())
        var toServer = client.start()
        var outcome: SASLClientOutcome?
        for _ in 0..<10 where outcome == nil {
            let reply = try server.feed(toServer).reply
            let step = try client.feed(reply)
            toServer = step.output
            outcome = step.outcome
        }
        if !toServer.isEmpty { _ = try server.feed(toServer) }
        let extensionReply = try #require(outcome?.extensionReply)
        guard case .accepted(let line) = extensionReply else { Issue.record("refused: \(extensionReply)"); return }
        let agreement = try KDBusAgreement(parsingReply: line, offer: offer)
        #expect(agreement.poolSize == KDBusLimits.maxPoolSize)
        #expect(agreement.metadata == [.credentials, .comm])
        #expect((server.commandExtension as? KDBusNegotiationExtension)?.agreement == agreement)
        #expect(server.isFinished)
    }
}
