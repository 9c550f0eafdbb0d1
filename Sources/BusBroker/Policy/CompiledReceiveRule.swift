// Compiled Receive Rule
//
// A `receive_*` rule (or a lone `eavesdrop`) in the form the per-recipient check evaluates.

import DBusWire

/// One `receive_*` rule, ready to match: bus/policy.c `bus_client_policy_check_can_receive`.
/// `eavesdrop` works like `*_requested_reply`: an allow rule covers eavesdropping only with
/// `eavesdrop="true"`, and a deny rule with `eavesdrop="true"` covers *only* eavesdropping.
/// A trivial value, like `CompiledSendRule`.
struct CompiledReceiveRule: Sendable {
    let allow: Bool
    /// Type, path, interface, member and error name.
    let fields: CompiledMessageFields
    /// `receive_sender`: nil for any.
    let sender: PolicyString?
    let requestedReply: Bool
    let eavesdrop: Bool
    let fds: CompiledFDRange?

    init(_ rule: ReceiveRule, allow: Bool, strings: inout PolicyStringTable) {
        self.allow = allow
        fields = CompiledMessageFields(type: rule.messageType, path: rule.path, interface: rule.interface,
                                       member: rule.member, error: rule.error, strings: &strings)
        sender = rule.sender.map { strings.intern($0) }
        requestedReply = rule.requestedReply
        eavesdrop = rule.eavesdrop
        fds = CompiledFDRange(min: rule.minFDs, max: rule.maxFDs)
    }

    /// dbus-daemon's `bus_client_policy_optimize` test; see `CompiledSendRule`.
    var discardsEarlierRules: Bool {
        fields.isEmpty && sender == nil
    }

    /// Matches every message delivered to its addressed recipient, replies requested or not.
    var matchesEveryAddressedMessage: Bool {
        discardsEarlierRules && fds == nil && (allow ? (eavesdrop || !requestedReply) : (!eavesdrop && requestedReply))
    }

    /// Matches every message, eavesdropped or not.
    var matchesEveryMessage: Bool {
        matchesEveryAddressedMessage && (!allow || eavesdrop)
    }

    /// Whether this rule applies to `message` from `sender` (nil: the bus driver, judged by
    /// the message's sender field). `eavesdropping`: the recipient is not the addressed one.
    @inline(__always)
    func matches(_ message: PolicyMessage, requestedReply replyWasRequested: Bool,
                 eavesdropping: Bool, sender holder: (any PolicyNameHolder)?, strings: PolicyStringView) -> Bool {
        if !fields.match(message, allow: allow, strings: strings) { return false }
        if eavesdropping && allow && !eavesdrop { return false }
        if !eavesdropping && !allow && eavesdrop { return false }
        if message.isReply {
            if !replyWasRequested && allow && requestedReply && !eavesdrop { return false }
            if replyWasRequested && !allow && !requestedReply { return false }
        }
        if let sender {
            if let holder {
                if !holder.holdsOrQueues(strings.names[sender.index]) { return false }
            } else {
                guard let field = message.sender, sender.equals(field.bytes, in: strings.bytes) else { return false }
            }
        }
        if let fds, !fds.contains(message.unixFDCount) { return false }
        return true
    }
}
