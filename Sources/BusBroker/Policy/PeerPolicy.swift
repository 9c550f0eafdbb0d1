// Peer Policy
//
// The rules that apply to one connection, assembled once when it authenticates, and the
// per-message checks the broker runs against them.

import DBusWire

/// One connection's policy: the `send`, `receive` and `own` rules of every context that
/// applies to its user, in dbus-daemon's order (default, its groups, its user, console,
/// mandatory), with dbus-daemon's override pruning applied (an unconditional rule drops the
/// earlier rules of its kind). The last matching rule decides; no matching rule denies.
///
/// Checks never allocate. When a kind of check cannot deny anything (a session bus), the
/// check is a flag test: see `allowsEverySend` and its siblings.
public struct PeerPolicy: Sendable {
    let sendRules: [CompiledSendRule]
    let receiveRules: [CompiledReceiveRule]
    let ownRules: [CompiledOwnRule]
    /// The strings the rules refer to (shared with the engine and every other peer).
    let strings: PolicyStringTable

    /// No send can be denied (and none is logged): `checkSend` returns `.allow` at once.
    public let allowsEverySend: Bool
    /// No message delivered to its addressed recipient can be refused.
    public let allowsEveryAddressedReceive: Bool
    /// No message can be refused even when eavesdropped.
    public let allowsEveryReceive: Bool
    /// Every name may be owned.
    public let allowsEveryOwnership: Bool
    /// Some rule lets this peer eavesdrop on something; when false the broker need not
    /// offer it messages addressed to others at all.
    public let mayEavesdrop: Bool

    init(send: [CompiledSendRule], receive: [CompiledReceiveRule], own: [CompiledOwnRule], strings: PolicyStringTable) {
        self.strings = strings
        sendRules = Self.pruned(send, discards: \.discardsEarlierRules)
        receiveRules = Self.pruned(receive, discards: \.discardsEarlierRules)
        ownRules = Self.pruned(own, discards: \.discardsEarlierRules)
        allowsEverySend = sendRules.first.map { $0.allow && $0.matchesEverything } == true
            && sendRules.allSatisfy { $0.allow && !$0.log }
        allowsEveryAddressedReceive = receiveRules.first.map { $0.allow && $0.matchesEveryAddressedMessage } == true
            && receiveRules.allSatisfy { $0.allow || $0.eavesdrop }
        allowsEveryReceive = receiveRules.first.map { $0.allow && $0.matchesEveryMessage } == true
            && receiveRules.allSatisfy(\.allow)
        allowsEveryOwnership = ownRules.first.map { $0.allow && $0.discardsEarlierRules } == true
            && ownRules.allSatisfy(\.allow)
        mayEavesdrop = receiveRules.contains { $0.allow && $0.eavesdrop }
    }

    /// bus/policy.c `bus_client_policy_optimize`: keep the rules from the last rule that
    /// discards its predecessors onwards.
    private static func pruned<Rule>(_ rules: [Rule], discards: (Rule) -> Bool) -> [Rule] {
        guard let last = rules.lastIndex(where: discards), last > 0 else { return rules }
        return Array(rules[last...])
    }

    // MARK: - Ownership

    /// Whether the peer may own (or queue for) `name`: `RequestName`'s policy step.
    public func canOwn(_ name: String) -> Bool {
        if allowsEveryOwnership { return true }
        var name = name
        return name.withUTF8 { canOwn(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// `canOwn` for a name still in the message buffer.
    public func canOwn(_ name: WireString) -> Bool {
        allowsEveryOwnership || canOwn(bytes: name.bytes)
    }

    private func canOwn(bytes: UnsafeRawBufferPointer) -> Bool {
        var allowed = false
        withStrings { view in
            for rule in ownRules where rule.matches(bytes, view) { allowed = rule.allow }
        }
        return allowed
    }

    // MARK: - Sending

    /// May this peer send `message` to `receiver`, a connected peer (the addressed recipient,
    /// each recipient of a broadcast, or an eavesdropper)? `requestedReply`: the message is a
    /// reply the reply tracker was expecting from this peer to `receiver`; always false
    /// towards an eavesdropper.
    public func checkSend(_ message: PolicyMessage, requestedReply: Bool, to receiver: some PolicyNameHolder) -> PolicyDecision {
        if allowsEverySend { return .allow }
        return decideSend(message, requestedReply: requestedReply, receiver: receiver)
    }

    /// May this peer send `message` where there is no receiving connection to ask about its
    /// names: to the bus driver, or to a service that activation has yet to start. The
    /// destination field then stands for the receiver's names, as in dbus-daemon.
    public func checkSendByDestination(_ message: PolicyMessage, requestedReply: Bool) -> PolicyDecision {
        if allowsEverySend { return .allow }
        return decideSend(message, requestedReply: requestedReply, receiver: nil)
    }

    private func decideSend(_ message: PolicyMessage, requestedReply: Bool,
                            receiver: (any PolicyNameHolder)?) -> PolicyDecision {
        var allowed = false
        var log = false
        var matched = 0
        withStrings { view in
            for rule in sendRules where rule.matches(message, requestedReply: requestedReply, receiver: receiver, strings: view) {
                allowed = rule.allow
                log = rule.log
                matched += 1
            }
        }
        if !allowed { return .deny(matchedRules: matched) }
        return log ? .allowAndLog(matchedRules: matched) : .allow
    }

    // MARK: - Receiving

    /// May this peer receive `message` from `sender`, a connected peer? `eavesdropping`:
    /// this peer is not the addressed recipient of a message that has a destination
    /// (dbus-daemon's definition; broadcast signals are never eavesdropped).
    public func checkReceive(_ message: PolicyMessage, requestedReply: Bool, eavesdropping: Bool = false,
                             from sender: some PolicyNameHolder) -> PolicyDecision {
        if eavesdropping ? allowsEveryReceive : allowsEveryAddressedReceive { return .allow }
        return decideReceive(message, requestedReply: requestedReply, eavesdropping: eavesdropping, sender: sender)
    }

    /// May this peer receive `message` from the bus driver? `receive_sender` rules then
    /// compare the message's sender field. dbus-daemon counts every reply from the driver
    /// as requested.
    public func checkReceiveFromBus(_ message: PolicyMessage, eavesdropping: Bool = false) -> PolicyDecision {
        if eavesdropping ? allowsEveryReceive : allowsEveryAddressedReceive { return .allow }
        return decideReceive(message, requestedReply: message.isReply && !eavesdropping,
                             eavesdropping: eavesdropping, sender: nil)
    }

    /// May this peer see `message`, addressed to someone else, through an eavesdropping
    /// match rule? Replies seen this way are never requested ones.
    public func isEavesdropAllowed(_ message: PolicyMessage, from sender: some PolicyNameHolder) -> Bool {
        if allowsEveryReceive { return true }
        if !mayEavesdrop { return false }
        return decideReceive(message, requestedReply: false, eavesdropping: true, sender: sender).isAllowed
    }

    private func decideReceive(_ message: PolicyMessage, requestedReply: Bool,
                               eavesdropping: Bool, sender: (any PolicyNameHolder)?) -> PolicyDecision {
        var allowed = false
        var matched = 0
        withStrings { view in
            for rule in receiveRules
            where rule.matches(message, requestedReply: requestedReply, eavesdropping: eavesdropping, sender: sender, strings: view) {
                allowed = rule.allow
                matched += 1
            }
        }
        return allowed ? .allow : .deny(matchedRules: matched)
    }

    /// Lends the string table's bytes for one scan.
    @inline(__always)
    private func withStrings<R>(_ body: (PolicyStringView) -> R) -> R {
        strings.bytes.withUnsafeBytes { body(PolicyStringView(bytes: $0, names: strings.names)) }
    }
}
