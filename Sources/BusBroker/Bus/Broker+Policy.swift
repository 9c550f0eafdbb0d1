// Broker Policy
//
// Where the broker consults the busconfig policy: at authentication, on RequestName, and
// for each message it routes to a peer.
import BusPlatform
import DBusWire
import Glibc

/// One peer's names as the policy asks about them: the broker and a `PeerID`, two words,
/// so the checks' existential holds it inline and no check allocates.
struct BrokerNameHolder: PolicyNameHolder {
    unowned let broker: Broker
    let peer: PeerID

    func holdsOrQueues(_ name: String) -> Bool { broker.registry.holdsOrQueues(name, peer: peer) }

    func holdsOrQueues(namesUnder prefix: String) -> Bool {
        broker.registry.holdsOrQueues(namesUnder: prefix, peer: peer)
    }
}

extension Broker {
    /// The error name of every policy refusal.
    static let accessDeniedError = "org.freedesktop.DBus.Error.AccessDenied"

    // MARK: - Connections

    /// Whether `peer`'s user may connect at all (dbus-daemon refuses it during SASL). The
    /// user database is asked once per uid (`getpwuid_r` and `getgrouplist` read
    /// /etc/passwd and /etc/group: 14 of the 32 system calls a connection cost); like
    /// dbus-daemon's user cache, `reloadPolicy` forgets the answers.
    func mayConnect(_ peer: Peer) -> Bool {
        let uid = UInt32(peer.identity.process.userID)
        let groups: [UInt32]?
        if let known = userGroups[uid] {
            groups = known
        } else {
            groups = SystemUserDatabase().groups(ofUser: uid)
            userGroups[uid] = .some(groups)
        }
        guard let groups else { return false }
        return policy.canConnect(uid: uid, groups: groups)
    }

    /// Computes `peer`'s rules once. Only a peer some rule restricts is recorded, so on a
    /// bus where nobody is restricted (the session bus) every check is one `isEmpty` test.
    func assignPolicy(to peer: Peer) {
        let uid = UInt32(peer.identity.process.userID)
        // logind is asked only when some block depends on it: it costs a file read.
        let atConsole = policy.hasConsoleRules && consoleSeats.isAtConsole(uid: uid)
        let rules = policy.policy(forUser: uid, groups: peer.identity.groups, atConsole: atConsole)
        let key = ObjectIdentifier(peer)
        if rules.allowsEverySend && rules.allowsEveryReceive && rules.allowsEveryOwnership {
            restrictedPeers[key] = nil
        } else {
            restrictedPeers[key] = rules
        }
    }

    /// A reload recompiles the policy and gives every connection its new rules, as
    /// dbus-daemon's `bus_connections_reload_policy` does.
    func reloadPolicy() {
        policy = PolicyEngine(config: config)
        userGroups.removeAll()
        logPolicyWarnings()
        restrictedPeers.removeAll(keepingCapacity: true)
        for peer in connections.values where !peer.isClosed { assignPolicy(to: peer) }
    }

    func logPolicyWarnings() {
        for warning in policy.warnings { logger.warning("config: \(warning)") }
    }

    // MARK: - Names

    /// `RequestName`'s policy step: nil when `peer` may own `name`, else the refusal.
    func ownershipRefusal(of name: String, by peer: PeerID) -> String? {
        guard !restrictedPeers.isEmpty, let holder = peers[peer],
              let rules = restrictedPeers[ObjectIdentifier(holder)], !rules.canOwn(name)
        else { return nil }
        return AccessDeniedText.ownershipDenied(connection: peer.uniqueName, name: name)
    }

    // MARK: - Messages

    /// Whether `message` from `sender` may reach `receiver`, asking the sender's send rules
    /// then the receiver's receive rules. A refused method call that wants a reply gets
    /// AccessDenied with dbus-daemon's text; refused signals and replies vanish silently.
    func allowsUnicast(_ message: MessageHeaderView, from sender: Peer, senderID: PeerID,
                       to receiver: Peer, receiverID: PeerID, requestedReply: Bool) -> Bool {
        guard !restrictedPeers.isEmpty else { return true }
        let sendRules = restrictedPeers[ObjectIdentifier(sender)]
        let receiveRules = restrictedPeers[ObjectIdentifier(receiver)]
        if sendRules == nil && receiveRules == nil { return true }
        let facts = PolicyMessage(header: message)
        var refusal: (AccessDeniedText.Complaint, Int)?
        if let sendRules {
            switch sendRules.checkSend(facts, requestedReply: requestedReply, to: BrokerNameHolder(broker: self, peer: receiverID)) {
            case .deny(let matched): refusal = (.rejectedSend, matched)
            case .allowAndLog(let matched):
                logPolicy(.wouldReject, matched, facts, requestedReply, from: (sender, senderID), to: (receiver, receiverID))
            case .allow: break
            }
        }
        if refusal == nil, let receiveRules,
           case .deny(let matched) = receiveRules.checkReceive(
            facts, requestedReply: requestedReply, from: BrokerNameHolder(broker: self, peer: senderID)) {
            refusal = (.rejectedReceive, matched)
        }
        guard let (complaint, matched) = refusal else { return true }
        // dbus-daemon logs every refusal of a message to its addressed recipient.
        let text = logPolicy(complaint, matched, facts, requestedReply, from: (sender, senderID), to: (receiver, receiverID))
        if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
            sendError(to: senderID, replySerial: message.serial, name: Broker.accessDeniedError, message: text)
        }
        return false
    }

    /// Logs a policy decision in dbus-daemon's words (the AccessDenied text, or "Would
    /// reject message" for an allowing `log="true"` rule) and returns the text. A nil
    /// party is the bus driver.
    @discardableResult
    func logPolicy(_ complaint: AccessDeniedText.Complaint, _ matched: Int, _ facts: PolicyMessage, _ requestedReply: Bool,
                   from sender: (Peer, PeerID)?, to receiver: (Peer, PeerID)?) -> String {
        let text = AccessDeniedText.message(
            complaint, matchedRules: matched, message: facts, requestedReply: requestedReply,
            sender: sender.map { accessDeniedParty($0.0, id: $0.1) }, receiver: receiver.map { accessDeniedParty($0.0, id: $0.1) })
        logger.notice("\(text)")
        return text
    }

    /// A message to the bus driver, judged by the sender's send rules alone.
    func allowsDriverCall(_ message: MessageHeaderView, from sender: Peer, senderID: PeerID) -> Bool {
        guard !restrictedPeers.isEmpty, let rules = restrictedPeers[ObjectIdentifier(sender)] else { return true }
        let facts = PolicyMessage(header: message)
        switch rules.checkSendByDestination(facts, requestedReply: false) {
        case .allow:
            return true
        case .allowAndLog(let matched):
            logPolicy(.wouldReject, matched, facts, false, from: (sender, senderID), to: nil)
            return true
        case .deny(let matched):
            let text = logPolicy(.rejectedSend, matched, facts, false, from: (sender, senderID), to: nil)
            if message.type == .methodCall && !message.flags.contains(.noReplyExpected) {
                sendError(to: senderID, replySerial: message.serial, name: Broker.accessDeniedError, message: text)
            }
            return false
        }
    }

    /// Whether a message from the bus driver (a reply, NameOwnerChanged, NameAcquired…) may
    /// reach `receiver`: dbus-daemon asks the receiver's receive rules with no sending
    /// connection, so `receive_sender="org.freedesktop.DBus"` rules decide, and replies count
    /// as requested. A refused message to its addressed recipient is logged, as there.
    func allowsFromBus(_ message: MessageHeaderView, to receiver: Peer, eavesdropping: Bool) -> Bool {
        guard !restrictedPeers.isEmpty, let rules = restrictedPeers[ObjectIdentifier(receiver)] else { return true }
        let facts = PolicyMessage(header: message)
        guard case .deny(let matched) = rules.checkReceiveFromBus(facts, eavesdropping: eavesdropping) else { return true }
        if !eavesdropping && message.string(.destination) != nil, let id = receiver.id {
            logPolicy(.rejectedReceive, matched, facts, facts.isReply, from: nil, to: (receiver, id))
        }
        return false
    }

    /// Whether a broadcast (or an eavesdropped copy) from `sender` may reach `receiver`.
    /// Refusals are silent: nobody asked for this copy by name.
    func allowsCopy(_ message: MessageHeaderView, from senderID: PeerID, to receiver: Peer, receiverID: PeerID,
                    eavesdropping: Bool) -> Bool {
        guard !restrictedPeers.isEmpty else { return true }
        let sendRules = peers[senderID].flatMap { restrictedPeers[ObjectIdentifier($0)] }
        let receiveRules = restrictedPeers[ObjectIdentifier(receiver)]
        if sendRules == nil && receiveRules == nil { return true }
        let facts = PolicyMessage(header: message)
        if let sendRules {
            switch sendRules.checkSend(facts, requestedReply: false, to: BrokerNameHolder(broker: self, peer: receiverID)) {
            case .deny: return false
            case .allowAndLog(let matched):
                if let sender = peers[senderID] {
                    logPolicy(.wouldReject, matched, facts, false, from: (sender, senderID), to: (receiver, receiverID))
                }
            case .allow: break
            }
        }
        guard let receiveRules else { return true }
        let sender = BrokerNameHolder(broker: self, peer: senderID)
        if eavesdropping { return receiveRules.isEavesdropAllowed(facts, from: sender) }
        return receiveRules.checkReceive(facts, requestedReply: false, from: sender).isAllowed
    }

    /// The unique name and loginfo dbus-daemon quotes for one end of a refused message.
    private func accessDeniedParty(_ peer: Peer, id: PeerID) -> AccessDeniedText.Peer {
        let process = peer.identity.process
        let pid = process.processID
        return AccessDeniedText.Peer(
            name: id.uniqueName,
            logInfo: AccessDeniedText.logInfo(uid: UInt32(process.userID), pid: Int32(pid),
                                              command: Broker.commandLine(of: Int32(pid)),
                                              securityLabel: peer.identity.securityLabel))
    }

    /// The `comm` dbus-daemon quotes: /proc/PID/cmdline, read only when a refusal is worded.
    static func commandLine(of pid: Int32) -> String {
        let descriptor = open("/proc/\(pid)/cmdline", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { _ = close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: AccessDeniedText.maxCommandBytes + 1)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        return AccessDeniedText.command(fromCmdline: buffer[0..<count])
    }
}
