// Broker
//
// The bus itself: every connection, the name registry, the match index and the reply
// tracker, on one thread driven by one epoll loop.
import BusPlatform
import DBusWire
import Glibc
import Logging

/// The message bus. It owns the peers and the bus-wide state, routes what peers send
/// (`route`), and answers `org.freedesktop.DBus` itself (`Driver`). Everything runs on the
/// thread that runs `loop`; nothing here is shared with another thread.
///
/// Lifecycle: `init`, `listen(on:)` for each listener, then `loop.run()`; `shutdown()`
/// closes listeners (removing their socket files) and peers.
public final class Broker {
    public let loop: EventLoop
    public let guid: DBusGUID
    let logger: Logger
    public private(set) var config: BusConfig
    public private(set) var limits: RuntimeLimits

    var registry: NameRegistry
    var replies: ReplyTracker
    var matches: MatchIndex
    var allocator = UniqueNameAllocator()
    /// Service files, activations under way and the processes started (Activation/).
    var activation = ActivationState()
    /// The compiled `<policy>` blocks of `config`.
    var policy: PolicyEngine
    /// The rules of each connection that some rule restricts, by connection; an
    /// unrestricted connection has no entry, so an empty table means nothing is checked.
    var restrictedPeers: [ObjectIdentifier: PeerPolicy] = [:]
    /// Each connecting uid's groups from the user database (nil inside: no such user),
    /// asked once per uid until the policy is reloaded (`mayConnect`).
    var userGroups: [UInt32: [UInt32]?] = [:]
    /// Peers that said Hello, by id.
    var peers: [PeerID: Peer] = [:]
    /// Every open connection, authenticated or not.
    var connections: [ObjectIdentifier: Peer] = [:]
    /// Primary owners of well-known names, keyed by bytes so a destination in a message
    /// is resolved without building a string. Kept in step with the registry's events.
    var wellKnownOwners: [NameKey: PeerID] = [:]
    /// Monitors and their rules (all eavesdropping); an empty list means everything.
    var monitors: [PeerID: [MatchRule]] = [:]
    /// Eavesdropping match rules in force; while 0, unicasts skip the match index.
    var eavesdropRuleCount = 0
    /// Peers with output queued since the last flush.
    var pendingFlush: [Peer] = []
    /// Disconnects decided while iterating a table, carried out after it.
    var pendingDisconnects: [(Peer, String?)] = []
    /// Where each forwarded message is rewritten (SENDER set, unknown fields dropped).
    var rewriteBuffer = WireWriter(reservingCapacity: BrokerLimits.rewriteBufferCapacity)
    /// What every peer reads into while it has nothing buffered, and the control space and
    /// descriptor list of each `recvmsg`: one set for all peers, so idle peers cost less.
    let sharedRead = SharedReadBuffer()
    var receiveControl = ControlBuffer()
    var arriving = DescriptorList()
    var nextDriverSerial: UInt32 = 1
    var connectionCounter: UInt64 = 0
    /// The deadline the reply timer is armed for, if any.
    var armedReplyDeadline: UInt64?
    var listeners: [Listener] = []
    /// Connections accepted that have not said Hello, against `max_incomplete_connections`.
    var incompleteConnections = 0
    /// True while the listeners stop accepting because of `max_incomplete_connections`.
    var listenersPaused = false
    /// What each user's connections hold, against the per-user limits.
    var accounting = UserAccounting()
    /// `UpdateActivationEnvironment`'s variables, for services the bus starts.
    var activationEnvironment: [String: String] = [:]
    /// Where `at_console` policy blocks learn who has a seat (systemd-logind's state).
    public var consoleSeats = ConsoleSeats()
    /// Reloads the configuration for `ReloadConfig` and SIGHUP; set by the executable.
    public var configurationReloader: (() throws(ConfigError) -> BusConfig)?
    let machineID: String
    /// What timers hold instead of the broker (see `BrokerTimerTarget`).
    private(set) lazy var timerTarget = BrokerTimerTarget(self)
    /// The kdbus transport's broker-wide state (copy buffer, priority, sequence).
    let kdbusState = KDBusBrokerState()
    /// The message being routed, for metadata items (`Broker+KDBusMetadata`).
    var metadataContext = KDBusMetadataContext()
    /// Set once a pool peer asks for metadata items (`receiverWantsMetadata`).
    var describesSenders = false

    public init(config: BusConfig, loop: EventLoop, logger: Logger) {
        self.config = config
        self.loop = loop
        self.logger = logger
        self.limits = RuntimeLimits(config.limits)
        self.registry = NameRegistry(maxNamesPerPeer: config.limits[.maxNamesPerConnection])
        self.matches = MatchIndex(maxMatchRulesPerPeer: config.limits[.maxMatchRulesPerConnection])
        self.replies = ReplyTracker(maxPendingRepliesPerPeer: config.limits[.maxRepliesPerConnection])
        self.policy = PolicyEngine(config: config)
        var random = SystemRandomNumberGenerator()
        self.guid = DBusGUID(bytes: (random.next(), random.next()))
        self.machineID = Broker.readMachineID() ?? guid.hex
        logPolicyWarnings()
    }

    deinit { timerTarget.isLive = false }

    // MARK: - Listeners and connections

    /// Starts accepting on `socket`; `path` is unlinked at shutdown when given.
    public func listen(on socket: consuming UnixSocket, removingAtShutdown path: String?) throws(Errno) {
        let listener = Listener(broker: self, socket: socket, path: path)
        listener.registration = try loop.register(listener.socket.descriptor, interest: .readable, handler: listener)
        listeners.append(listener)
    }

    /// Takes a freshly accepted connection: reads its credentials, starts SASL.
    func accept(_ socket: consuming UnixSocket) {
        let credentials: PeerCredentials
        do {
            credentials = try socket.peerCredentials()
        } catch {
            logger.warning("refusing a connection: cannot read its credentials: \(error)")
            return
        }
        connectionCounter += 1
        let sasl = SASLServer(
            guid: guid, peerUID: credentials.process.userID, canPassUnixFDs: true,
            allowsAnonymous: allowsAnonymous,
            commandExtension: KDBusNegotiator(maxPoolSize: kdbusState.maxPoolSize, maxArenaSize: kdbusState.maxArenaSize))
        let peer = Peer(broker: self, socket: socket, identity: PeerIdentity(credentials),
                        connectionNumber: connectionCounter, sasl: sasl)
        do {
            peer.registration = try loop.register(peer.socket.descriptor, interest: .readable, handler: peer)
        } catch {
            logger.warning("refusing \(peer.logName): cannot watch its socket: \(error)")
            return
        }
        connections[ObjectIdentifier(peer)] = peer
        incompleteConnectionOpened()
        prepareSenderMetadata(peer)  // kdbus metadata hook
        logger.debug("\(peer.logName) connected")
        armAuthenticationTimeout(for: peer)
    }

    private var allowsAnonymous: Bool {
        config.allowAnonymous && (config.authMechanisms.isEmpty || config.authMechanisms.contains("ANONYMOUS"))
    }

    /// A connection that has not said Hello within `auth_timeout` is dropped, so half-open
    /// connections cannot pile up. The timer finds the peer again by its key and connection
    /// number instead of holding it weakly: a weak reference gives the object a side table,
    /// and every retain and release of a peer with one takes the runtime's slow path (the
    /// broker itself is reached through `timerTarget` for the same reason).
    private func armAuthenticationTimeout(for peer: Peer) {
        let key = ObjectIdentifier(peer)
        let number = peer.connectionNumber
        loop.addTimer(after: .milliseconds(limits.authTimeout)) { [target = timerTarget] _ in
            guard let self = target.liveBroker, let peer = self.connections[key], peer.connectionNumber == number,
                  !peer.isClosed, peer.id == nil else { return }
            self.disconnect(peer, reason: "did not authenticate and say Hello within auth_timeout=\(self.limits.authTimeout) ms")
        }
    }

    func peerAuthenticated(_ peer: Peer) {
        guard mayConnect(peer) else {
            disconnect(peer, reason: "uid \(peer.identity.process.userID) is not allowed to connect by the policy")
            return
        }
        assignPolicy(to: peer)
        logger.debug("\(peer.logName) authenticated\(peer.unixFDsNegotiated ? " with fd passing" : "")")
    }

    // MARK: - Disconnecting

    /// Ends `peer`'s connection and releases everything it held. `reason` is logged (one
    /// line naming the peer) for protocol violations and limits; nil is an ordinary hang-up.
    func disconnect(_ peer: Peer, reason: String?) {
        guard !peer.isClosed else { return }
        peer.isClosed = true
        if let reason {
            logger.warning("disconnecting \(peer.logName): \(reason)")
        } else {
            logger.debug("\(peer.logName) disconnected")
        }
        if let registration = peer.registration { try? loop.deregister(registration) }
        unwatchDoorbell(of: peer)  // kdbus hook: the doorbell registration
        _ = Glibc.shutdown(peer.socket.descriptor.rawValue, CInt(SHUT_RDWR))
        connections[ObjectIdentifier(peer)] = nil
        restrictedPeers[ObjectIdentifier(peer)] = nil
        connectionEnded(peer)
        releaseInFlight(of: peer, all: true)
        guard let id = peer.id else { return }
        peers[id] = nil
        monitors[id] = nil
        releaseRules(of: peer)
        emit(registry.releaseAll(of: id))
        for pending in replies.peerDisconnected(id) {
            sendNoReply(to: pending.key.caller, replySerial: pending.key.serial, reason: .calleeDisconnected)
        }
    }

    func releaseRules(of peer: Peer) {
        guard let id = peer.id else { return }
        eavesdropRuleCount -= peer.eavesdropRuleCount
        peer.eavesdropRuleCount = 0
        peer.matchRuleCount = 0
        matches.removeAll(owner: id)
    }

    /// Carries out the disconnects decided while a table was being walked.
    func processPendingDisconnects() {
        while let (peer, reason) = pendingDisconnects.popLast() { disconnect(peer, reason: reason) }
    }

    /// Closes every listener (unlinking socket files) and connection.
    public func shutdown() {
        for listener in listeners { listener.close(in: loop) }
        listeners.removeAll()
        for peer in Array(connections.values) { disconnect(peer, reason: nil) }
    }

    // MARK: - Output

    /// Notes that `peer` has output to write at the end of this turn.
    func scheduleFlush(_ peer: Peer) {
        guard !peer.isPendingFlush, !peer.isClosed else { return }
        peer.isPendingFlush = true
        pendingFlush.append(peer)
    }

    /// Writes out everything queued this turn.
    func flushPending() {
        while let peer = pendingFlush.popLast() {
            peer.isPendingFlush = false
            flush(peer)
        }
    }

    /// Writes as much of `peer`'s queue as its socket takes; waits for writable if not all.
    func flush(_ peer: Peer) {
        guard !peer.isClosed else { return }
        var drained: Bool
        repeat {
            moveWaitingRecords(of: peer)  // kdbus hook: RECVs wait in priority order for RECV-ring room and the socket
            if peer.isClosed { return }
            do {
                drained = try peer.output.flush(to: peer.socket)
            } catch {
                disconnect(peer, reason: error == .brokenPipe || error == .connectionReset ? nil : "send failed: \(error)")
                return
            }
        } while drained && peer.kdbus.map { $0.hasWaiting && !$0.waitsForReceiveSpace } == true
        releaseInFlight(of: peer)
        guard drained != !peer.isWaitingToWrite else { return }
        peer.isWaitingToWrite = !drained
        updateInterest(peer)
    }

    // MARK: - Reload

    /// Reloads the configuration (SIGHUP, `ReloadConfig`). A broken file keeps the old
    /// configuration and is reported to the caller and the log.
    @discardableResult
    public func reloadConfiguration() -> ConfigError? {
        guard let configurationReloader else { return nil }
        do throws(ConfigError) {
            let fresh = try configurationReloader()
            for note in fresh.notes { logger.notice("config: \(note)") }
            config = fresh
            limits = RuntimeLimits(fresh.limits)
            reloadPolicy()
            refreshServiceCatalog()
            logger.info("configuration reloaded from \(fresh.files.first ?? "?")")
            return nil
        } catch {
            logger.error("configuration reload failed, keeping the old one: \(error)")
            return error
        }
    }

    // MARK: - Helpers

    /// /etc/machine-id without its newline, or nil when unreadable.
    static func readMachineID() -> String? {
        let descriptor = open("/etc/machine-id", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { _ = close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 32 else { return nil }
        return String(decoding: buffer[0..<32], as: UTF8.self)
    }
}
