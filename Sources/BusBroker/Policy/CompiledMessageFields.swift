// Compiled Message Fields
//
// The header-field part that send and receive rules share: type, path, interface, member
// and error name, compiled once and matched the same way for both.

import DBusWire

/// The message fields a `send_*` or `receive_*` rule may name, as `PolicyString` references.
/// Matching follows bus/policy.c: a rule naming a path, member or error name also matches a
/// message without that field, while a rule naming an interface matches a message without
/// one only if it is a deny. A trivial value, so scanning rules never retains anything.
struct CompiledMessageFields: Sendable {
    let messageType: MessageType?
    let path: PolicyString?
    let interface: PolicyString?
    let member: PolicyString?
    let errorName: PolicyString?

    init(type: MessageTypeMatch?, path: String?, interface: String?, member: String?, error: String?,
         strings: inout PolicyStringTable) {
        messageType = type.map(MessageType.init(policyType:))
        self.path = path.map { strings.intern($0) }
        self.interface = interface.map { strings.intern($0) }
        self.member = member.map { strings.intern($0) }
        errorName = error.map { strings.intern($0) }
    }

    /// True when the rule names none of these fields: part of dbus-daemon's catch-all test.
    var isEmpty: Bool {
        messageType == nil && path == nil && interface == nil && member == nil && errorName == nil
    }

    /// Whether `message` has the fields this rule names; `allow` because the interface test
    /// differs between allow and deny rules.
    @inline(__always)
    func match(_ message: PolicyMessage, allow: Bool, strings: PolicyStringView) -> Bool {
        if let messageType, message.type != messageType { return false }
        return PolicyFieldMatch.optionalField(path, message.path, strings)
            && PolicyFieldMatch.interface(interface, message.interface, allow: allow, strings)
            && PolicyFieldMatch.optionalField(member, message.member, strings)
            && PolicyFieldMatch.optionalField(errorName, message.errorName, strings)
    }
}
