// KDBus Negotiation: the SASL extension line that upgrades a connection, and its answer.

/// The words of the negotiation (docs/kdbus-transport.md §2).
public enum KDBusNegotiation {
    /// The extension command a SwiftBus client sends after NEGOTIATE_UNIX_FD.
    public static let command = "SWIFTBUS_KDBUS"
    /// The first word of swiftbusd's answer when it accepts.
    public static let agreement = "AGREE_SWIFTBUS_KDBUS"
}

/// What a client asks for: `SWIFTBUS_KDBUS version=3 pool=N arena=N threshold=N metadata=…`.
/// Sizes are in bytes. The server may lower `pool`, `arena` and `threshold` to its limits,
/// never raise them; `metadata` is what the client wants attached to messages it receives.
public struct KDBusOffer: Sendable, Hashable {
    public var version: Int
    public var poolSize: Int
    public var arenaSize: Int
    public var memfdThreshold: Int
    public var metadata: KDBusMetadataSet

    public init(
        version: Int = KDBusLimits.protocolVersion, poolSize: Int = KDBusLimits.defaultPoolSize,
        arenaSize: Int = KDBusLimits.defaultArenaSize, memfdThreshold: Int = KDBusLimits.defaultMemfdThreshold,
        metadata: KDBusMetadataSet = []
    ) {
        self.version = version
        self.poolSize = poolSize
        self.arenaSize = arenaSize
        self.memfdThreshold = memfdThreshold
        self.metadata = metadata
    }

    /// The whole command line, without CRLF: what `SASLClient(extensionCommand:)` takes.
    public var commandLine: String {
        KDBusNegotiation.command + " " + parameterText
    }

    var parameterText: String {
        "version=\(version) pool=\(poolSize) arena=\(arenaSize) threshold=\(memfdThreshold) metadata=\(metadata.negotiationValue)"
    }

    /// Parses the argument of the extension command as the server's `SASLServerExtension`
    /// receives it (everything after `SWIFTBUS_KDBUS `). Unknown keys are ignored so a newer
    /// client can add parameters; known ones are checked against `KDBusLimits`.
    public init(parsingArgument argument: String) throws(KDBusNegotiationError) {
        let parameters = try KDBusParameters(argument)
        version = try parameters.number("version", in: 1...Int(Int32.max))
        guard version == KDBusLimits.protocolVersion else {
            throw KDBusNegotiationError(.unsupportedVersion(version), parameter: "version")
        }
        poolSize = try parameters.number("pool", in: KDBusLimits.minRegionSize...KDBusLimits.maxOfferedSize)
        arenaSize = try parameters.number("arena", in: KDBusLimits.minRegionSize...KDBusLimits.maxOfferedSize)
        memfdThreshold = try parameters.number("threshold", in: KDBusLimits.minMemfdThreshold...KDBusLimits.maxOfferedSize)
        metadata = try KDBusMetadataSet(negotiationValue: try parameters.text("metadata"))
    }

    /// The server's answer: the offer with sizes lowered to the server's limits.
    public func granted(maxPoolSize: Int = KDBusLimits.maxPoolSize, maxArenaSize: Int = KDBusLimits.maxArenaSize) -> KDBusAgreement {
        KDBusAgreement(
            version: version, poolSize: min(poolSize, maxPoolSize).pageAligned, arenaSize: min(arenaSize, maxArenaSize).pageAligned,
            memfdThreshold: memfdThreshold, metadata: metadata)
    }
}

/// What swiftbusd granted: `AGREE_SWIFTBUS_KDBUS version=3 pool=N arena=N threshold=N metadata=…`.
/// After BEGIN the broker sends the pool memfd and the client the arena memfd of exactly
/// these sizes.
public struct KDBusAgreement: Sendable, Hashable {
    public var version: Int
    public var poolSize: Int
    public var arenaSize: Int
    public var memfdThreshold: Int
    public var metadata: KDBusMetadataSet

    public init(version: Int, poolSize: Int, arenaSize: Int, memfdThreshold: Int, metadata: KDBusMetadataSet) {
        self.version = version
        self.poolSize = poolSize
        self.arenaSize = arenaSize
        self.memfdThreshold = memfdThreshold
        self.metadata = metadata
    }

    /// The reply line, without CRLF: what the server's `SASLServerExtension` returns.
    public var replyLine: String {
        KDBusNegotiation.agreement + " " + KDBusOffer(
            version: version, poolSize: poolSize, arenaSize: arenaSize, memfdThreshold: memfdThreshold, metadata: metadata
        ).parameterText
    }

    /// Parses the server's reply line (as `SASLClientOutcome.ExtensionReply.accepted` holds it)
    /// and checks it against what the client offered: the server may only lower sizes.
    public init(parsingReply line: String, offer: KDBusOffer) throws(KDBusNegotiationError) {
        let words = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard words.first.map(String.init) == KDBusNegotiation.agreement else {
            throw KDBusNegotiationError(.wrongCommand(words.first.map(String.init) ?? ""), parameter: "line")
        }
        let parsed = try KDBusOffer(parsingArgument: words.count > 1 ? String(words[1]) : "")
        for (key, granted, offered) in [
            ("pool", parsed.poolSize, offer.poolSize), ("arena", parsed.arenaSize, offer.arenaSize),
            ("threshold", parsed.memfdThreshold, offer.memfdThreshold),
        ] where granted > offered.pageAligned {
            throw KDBusNegotiationError(.grantExceedsOffer(granted: granted, offered: offered), parameter: key)
        }
        self.init(version: parsed.version, poolSize: parsed.poolSize, arenaSize: parsed.arenaSize,
                  memfdThreshold: parsed.memfdThreshold, metadata: parsed.metadata)
    }
}

extension Int {
    /// Rounded up to 4 KiB: pools and arenas are mapped whole.
    var pageAligned: Int { (self + KDBusLimits.pageSize - 1) & ~(KDBusLimits.pageSize - 1) }
}

/// `key=value` pairs separated by single spaces, checked for shape and size.
private struct KDBusParameters {
    var values: [String: String] = [:]

    init(_ text: String) throws(KDBusNegotiationError) {
        let pairs = text.split(separator: " ")
        guard pairs.count <= KDBusLimits.maxParameters else { throw KDBusNegotiationError(.tooLong, parameter: "line") }
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw KDBusNegotiationError(.malformed(String(pair)), parameter: "line")
            }
            let key = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            guard value.utf8.count <= KDBusLimits.maxParameterLength else { throw KDBusNegotiationError(.tooLong, parameter: key) }
            guard values[key] == nil else { throw KDBusNegotiationError(.duplicate, parameter: key) }
            values[key] = value
        }
    }

    func text(_ key: String) throws(KDBusNegotiationError) -> String {
        guard let value = values[key] else { throw KDBusNegotiationError(.missing, parameter: key) }
        return value
    }

    func number(_ key: String, in range: ClosedRange<Int>) throws(KDBusNegotiationError) -> Int {
        let value = try text(key)
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(value) else {
            throw KDBusNegotiationError(.notANumber(value), parameter: key)
        }
        guard range.contains(number) else { throw KDBusNegotiationError(.outOfRange(value: number, range: range), parameter: key) }
        return number
    }
}
