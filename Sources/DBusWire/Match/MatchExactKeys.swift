/// Match Exact Keys
///
/// The keys of a rule that a message must equal exactly, gathered so a broker can file rules in
/// buckets (by type, by sender, by interface…) and test only the rules whose bucket a message
/// falls in. Prefix tests (path_namespace, argNpath, arg0namespace) and argument tests stay with
/// `MatchRule.matches`; the index is the broker's.
public struct MatchExactKeys: Sendable, Hashable {
    public var type: MessageType?
    /// As written in the rule: a unique name, or a well-known name the broker must resolve.
    public var sender: String?
    public var interface: String?
    public var member: String?
    public var path: String?
    /// As written in the rule; it only ever matches when the rule also eavesdrops.
    public var destination: String?

    public init(
        type: MessageType? = nil, sender: String? = nil, interface: String? = nil, member: String? = nil,
        path: String? = nil, destination: String? = nil
    ) {
        self.type = type
        self.sender = sender
        self.interface = interface
        self.member = member
        self.path = path
        self.destination = destination
    }
}

extension MatchRule {
    /// The keys the broker can index this rule by; nil ones are wildcards.
    public var exactKeys: MatchExactKeys {
        MatchExactKeys(
            type: type, sender: sender, interface: interface, member: member, path: path, destination: destination)
    }
}
