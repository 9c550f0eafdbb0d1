// Policy Field Match
//
// How a rule's header-field value meets a message's field, with dbus-daemon's treatment
// of fields the message does not have.

import DBusWire

/// The string table as one check sees it: the bytes borrowed for the duration of the scan,
/// the names for the registry's lookups.
struct PolicyStringView {
    let bytes: UnsafeRawBufferPointer
    let names: [String]
}

/// The two ways bus/policy.c compares a rule's field with a message's.
enum PolicyFieldMatch {
    /// Path, member and error name: a rule naming one matches a message that lacks the
    /// field (a method return has no member, so `send_member="X"` covers it).
    @inline(__always)
    static func optionalField(_ rule: PolicyString?, _ field: WireString?, _ strings: PolicyStringView) -> Bool {
        guard let rule, let field else { return true }
        return rule.equals(field.bytes, in: strings.bytes)
    }

    /// Interface: optional in messages, so a message without one is *not* covered by an
    /// allow rule naming an interface but *is* covered by a deny rule naming one.
    @inline(__always)
    static func interface(_ rule: PolicyString?, _ field: WireString?, allow: Bool, _ strings: PolicyStringView) -> Bool {
        guard let rule else { return true }
        guard let field else { return !allow }
        return rule.equals(field.bytes, in: strings.bytes)
    }
}

/// The `send_destination` / `send_destination_prefix` part of a send rule, or an own rule's name.
enum CompiledNameMatch: Sendable {
    case any
    case exactly(PolicyString)
    case prefix(PolicyString)

    init(_ match: NameMatch, strings: inout PolicyStringTable) {
        switch match {
        case .any: self = .any
        case .exactly(let name): self = .exactly(strings.intern(name))
        case .prefix(let name): self = .prefix(strings.intern(name))
        }
    }

    var isAny: Bool {
        if case .any = self { return true }
        return false
    }

    /// The receiver's names decide; with no receiver (the bus driver, or a service not yet
    /// activated) the message's destination field does, as in dbus-daemon.
    @inline(__always)
    func matches(receiver: (any PolicyNameHolder)?, addressedTo destination: WireString?, _ strings: PolicyStringView) -> Bool {
        switch self {
        case .any:
            return true
        case .exactly(let name):
            if let receiver { return receiver.holdsOrQueues(strings.names[name.index]) }
            guard let destination else { return false }
            return name.equals(destination.bytes, in: strings.bytes)
        case .prefix(let prefix):
            if let receiver { return receiver.holdsOrQueues(namesUnder: strings.names[prefix.index]) }
            guard let destination else { return false }
            return PolicyWords.isWordPrefix(prefix.bytes(in: strings.bytes), of: destination.bytes)
        }
    }
}

/// `min_fds` / `max_fds`, present only when the rule narrows the default range (dbus-daemon
/// skips the count test for the full range).
struct CompiledFDRange: Sendable {
    let min: Int
    let max: Int

    init?(min: Int, max: Int) {
        guard min > 0 || max < PolicyRuleLimits.maxMessageUnixFDs else { return nil }
        self.min = min
        self.max = max
    }

    func contains(_ count: Int) -> Bool { count >= min && count <= max }
}

extension MessageType {
    /// The wire type a config file's `send_type` / `receive_type` names.
    init(policyType: MessageTypeMatch) {
        switch policyType {
        case .methodCall: self = .methodCall
        case .methodReturn: self = .methodReturn
        case .signal: self = .signal
        case .error: self = .error
        }
    }
}
