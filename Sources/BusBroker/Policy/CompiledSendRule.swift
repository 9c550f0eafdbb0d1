// Compiled Send Rule
//
// A `send_*` rule in the form the per-message check evaluates: strings as table
// references, the message type as the wire enum, and dbus-daemon's matching order and quirks.

import DBusWire

/// One `send_*` rule, ready to match. The matching is bus/policy.c
/// `bus_client_policy_check_can_send`, including its asymmetries: a rule naming a path,
/// member or error name also matches a message *without* that field, while a rule naming
/// an interface matches a message without one only if it is a deny.
///
/// A trivial value (no references), so scanning a list of them never retains anything.
struct CompiledSendRule: Sendable {
    let allow: Bool
    /// Type, path, interface, member and error name.
    let fields: CompiledMessageFields
    let destination: CompiledNameMatch
    let requestedReply: Bool
    let broadcast: Bool?
    let eavesdrop: Bool
    let log: Bool
    let fds: CompiledFDRange?

    init(_ rule: SendRule, allow: Bool, strings: inout PolicyStringTable) {
        self.allow = allow
        fields = CompiledMessageFields(type: rule.messageType, path: rule.path, interface: rule.interface,
                                       member: rule.member, error: rule.error, strings: &strings)
        destination = CompiledNameMatch(rule.destination, strings: &strings)
        requestedReply = rule.requestedReply
        broadcast = rule.broadcast
        eavesdrop = rule.eavesdrop
        log = rule.log
        fds = CompiledFDRange(min: rule.minFDs, max: rule.maxFDs)
    }

    /// dbus-daemon's test for a rule that overrides every earlier send rule when a client
    /// policy is assembled (`bus_client_policy_optimize`). It ignores `send_broadcast`,
    /// `eavesdrop`, `*_requested_reply` and the fd range, so a rule such as
    /// `<deny send_broadcast="true"/>` discards all send rules before it even though it
    /// matches only broadcasts (observed on dbus-daemon 1.14.10); we do the same so that
    /// decisions and matched-rule counts agree.
    var discardsEarlierRules: Bool {
        fields.isEmpty && destination.isAny
    }

    /// Matches every message, replies requested or not: an allow rule like this with no
    /// deny rule in the list means every send is allowed.
    var matchesEverything: Bool {
        discardsEarlierRules && broadcast == nil && fds == nil && (allow ? (eavesdrop || !requestedReply) : requestedReply)
    }

    /// Whether this rule applies to `message` sent to `receiver` (nil: the bus driver, or a
    /// service being activated, whose names are judged by the message's destination field).
    @inline(__always)
    func matches(_ message: PolicyMessage, requestedReply replyWasRequested: Bool,
                 receiver: (any PolicyNameHolder)?, strings: PolicyStringView) -> Bool {
        if !fields.match(message, allow: allow, strings: strings) { return false }
        if message.isReply {
            // An allow rule covers only requested replies unless it says otherwise or allows
            // eavesdropping; a deny rule covers only unrequested ones unless it says otherwise.
            if !replyWasRequested && allow && requestedReply && !eavesdrop { return false }
            if replyWasRequested && !allow && !requestedReply { return false }
        }
        if let broadcast, broadcast != message.isBroadcast { return false }
        if !destination.matches(receiver: receiver, addressedTo: message.destination, strings) { return false }
        if let fds, !fds.contains(message.unixFDCount) { return false }
        return true
    }
}
