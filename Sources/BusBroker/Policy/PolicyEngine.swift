// Policy Engine
//
// Compiles the `<policy>` blocks of a `BusConfig` once, then answers who may connect and
// which rules apply to each connection.

#if canImport(Glibc)
import Glibc
#endif

/// dbus-daemon's policy (bus/policy.c), compiled from a loaded `BusConfig`: user and group
/// names resolved to ids, strings turned into bytes, rules filed by context.
///
/// The broker asks `canConnect(uid:groups:)` when a peer authenticates, then
/// `policy(forUser:groups:atConsole:)` once for the connection and keeps the `PeerPolicy`
/// for every message it sends or receives. Contexts apply in dbus-daemon's order:
/// `default`, then each of the connection's groups, its user, `at_console`, and
/// `mandatory` last; within each, and across them, the last matching rule wins.
public struct PolicyEngine: Sendable {
    /// Rules and blocks dropped at compile time (unknown users and groups).
    public let warnings: [PolicyWarning]
    /// The user the broker runs as: it may connect unless a rule says otherwise.
    public let busOwner: UInt32

    private let defaultRules: ContextRules
    private let mandatoryRules: ContextRules
    private let rulesByUser: [UInt32: ContextRules]
    private let rulesByGroup: [UInt32: ContextRules]
    private let consoleRules: ContextRules
    private let nonConsoleRules: ContextRules
    /// `user`/`group` rules of the default then the mandatory blocks, in order.
    private let connectRules: [ConnectRule]
    private let strings: PolicyStringTable

    /// Compiles `config.policies`. `busOwner` defaults to the effective uid, as dbus-daemon
    /// uses its own.
    public init(config: BusConfig, userDatabase: any PolicyUserDatabase = SystemUserDatabase(),
                busOwner: UInt32 = geteuid()) {
        var compiler = PolicyCompiler(userDatabase: userDatabase)
        for section in config.policies { compiler.add(section) }
        warnings = compiler.warnings
        self.busOwner = busOwner
        defaultRules = compiler.defaultRules
        mandatoryRules = compiler.mandatoryRules
        rulesByUser = compiler.rulesByUser
        rulesByGroup = compiler.rulesByGroup
        consoleRules = compiler.consoleRules
        nonConsoleRules = compiler.nonConsoleRules
        connectRules = compiler.defaultConnectRules + compiler.mandatoryConnectRules
        strings = compiler.strings
    }

    /// Whether a peer authenticated as `uid`, a member of `groups`, may stay connected
    /// (bus/policy.c `bus_policy_allow_unix_user`). With no `user`/`group` rules only the
    /// bus owner may; the system bus's `<allow user="*"/>` opens it to all. dbus-daemon takes
    /// `groups` from the user database, not from the socket: see `canConnect(uid:)`.
    public func canConnect(uid: UInt32, groups: [UInt32]) -> Bool {
        var allowed = uid == busOwner
        for rule in connectRules where rule.matches(uid: uid, groups: groups) { allowed = rule.allow }
        return allowed
    }

    /// `canConnect(uid:groups:)` with the groups looked up in the user database; a uid with
    /// no entry there may not connect, as in dbus-daemon.
    public func canConnect(uid: UInt32, userDatabase: SystemUserDatabase = SystemUserDatabase()) -> Bool {
        guard let groups = userDatabase.groups(ofUser: uid) else { return false }
        return canConnect(uid: uid, groups: groups)
    }

    /// The rules for a connection of `uid` in `groups` (dbus-daemon uses the peer's
    /// `SO_PEERGROUPS`, falling back to the user database). `atConsole`: the user has a
    /// seat (systemd-logind); it picks the `at_console="true"` or `"false"` blocks.
    /// Groups are applied in the order given.
    public func policy(forUser uid: UInt32, groups: [UInt32], atConsole: Bool = false) -> PeerPolicy {
        var rules = defaultRules
        if !rulesByGroup.isEmpty {
            for group in groups { if let more = rulesByGroup[group] { rules.append(more) } }
        }
        if let more = rulesByUser[uid] { rules.append(more) }
        rules.append(atConsole ? consoleRules : nonConsoleRules)
        rules.append(mandatoryRules)
        return PeerPolicy(send: rules.send, receive: rules.receive, own: rules.own, strings: strings)
    }

    /// Whether any rule anywhere names a group, so that a broker can skip looking up a
    /// connection's groups when none would make a difference.
    public var hasGroupRules: Bool {
        !rulesByGroup.isEmpty || connectRules.contains { if case .group = $0.principal { true } else { false } }
    }

    /// Whether any `at_console` block exists, so that a broker asks logind only if needed.
    public var hasConsoleRules: Bool { !consoleRules.isEmpty || !nonConsoleRules.isEmpty }
}

/// The per-connection rules of one context (or several, concatenated), by kind. Kinds never
/// affect each other's decisions, so keeping them apart loses nothing.
struct ContextRules: Sendable {
    var send: [CompiledSendRule] = []
    var receive: [CompiledReceiveRule] = []
    var own: [CompiledOwnRule] = []

    var isEmpty: Bool { send.isEmpty && receive.isEmpty && own.isEmpty }

    mutating func append(_ other: ContextRules) {
        send += other.send
        receive += other.receive
        own += other.own
    }
}
