// Policy Rule Parser
//
// Turns the attributes of one `<allow>`/`<deny>` into a `PolicyRule`, enforcing the
// combinations dbus-daemon enforces (bus/config-parser.c, append_rule_from_element).

/// Reads one rule element. Rules broken here are dbus-daemon's: a rule is about exactly one
/// of send, receive, own, user or group; a member needs an interface or a path; `*` means any.
struct PolicyRuleParser {
    let element: String
    let allow: Bool
    let file: String
    let position: XMLPosition

    static let sendAttributes = [
        "send_interface", "send_member", "send_error", "send_destination", "send_destination_prefix",
        "send_path", "send_type", "send_requested_reply", "send_broadcast",
    ]
    static let receiveAttributes = [
        "receive_interface", "receive_member", "receive_error", "receive_sender", "receive_path",
        "receive_type", "receive_requested_reply",
    ]
    static let otherAttributes = ["eavesdrop", "max_fds", "min_fds", "own", "own_prefix", "user", "group", "log"]

    func parse(_ attributes: [XMLAttribute]) throws(ConfigError) -> PolicyRule {
        var values: [String: String] = [:]
        for attribute in attributes {
            let known = Self.sendAttributes.contains(attribute.name) || Self.receiveAttributes.contains(attribute.name)
                || Self.otherAttributes.contains(attribute.name)
            guard known else { throw fail(.attributeNotAllowed(attribute.name, on: element)) }
            values[attribute.name] = attribute.value
        }
        return PolicyRule(allow: allow, kind: try kind(values), file: file, line: position.line)
    }

    private func kind(_ values: [String: String]) throws(ConfigError) -> PolicyRule.Kind {
        let anySend = Self.sendAttributes.contains { values[$0] != nil }
        // A lone eavesdrop="true" means receive_sender="*" eavesdrop="true".
        let anyReceive = Self.receiveAttributes.contains { values[$0] != nil } || (!anySend && values["eavesdrop"] != nil)
        let anyMessage = anySend || anyReceive || values["max_fds"] != nil || values["min_fds"] != nil
        let others = ["own", "own_prefix", "user", "group"].filter { values[$0] != nil }

        guard anySend || anyReceive || !others.isEmpty else { throw fail(.ruleWithoutAttributes(element)) }
        if (values["send_member"] != nil && values["send_interface"] == nil && values["send_path"] == nil)
            || (values["receive_member"] != nil && values["receive_interface"] == nil && values["receive_path"] == nil) {
            throw fail(.memberWithoutInterfaceOrPath(element))
        }
        if (anyMessage ? 1 : 0) + others.count > 1 {
            throw combination("mixes own, own_prefix, user, group and message attributes, which cannot be combined")
        }
        if anySend && anyReceive { throw combination("mixes send_ and receive_ attributes") }
        if anySend { return .send(try sendRule(values)) }
        if anyReceive { return .receive(try receiveRule(values)) }
        if let own = values["own"] { return .own(own == "*" ? .any : .exactly(own)) }
        if let prefix = values["own_prefix"] { return .own(.prefix(prefix)) }
        if let user = values["user"] { return .user(PolicyPrincipal(user)) }
        return .group(PolicyPrincipal(values["group"] ?? "*"))
    }

    private func sendRule(_ values: [String: String]) throws(ConfigError) -> SendRule {
        if values["send_error"] != nil && (values["send_member"] != nil || values["send_interface"] != nil) {
            throw combination("combines send_error with send_member or send_interface")
        }
        if values["send_destination"] != nil && values["send_destination_prefix"] != nil {
            throw combination("combines send_destination with send_destination_prefix")
        }
        var rule = SendRule(requestedReply: allow)
        rule.interface = wildcard(values["send_interface"])
        rule.member = wildcard(values["send_member"])
        rule.error = wildcard(values["send_error"])
        rule.path = wildcard(values["send_path"])
        if let destination = wildcard(values["send_destination"]) { rule.destination = .exactly(destination) }
        if let prefix = values["send_destination_prefix"] { rule.destination = .prefix(prefix) }
        rule.messageType = try messageType(values, "send_type")
        rule.eavesdrop = try boolean(values, "eavesdrop") ?? false
        rule.broadcast = try boolean(values, "send_broadcast")
        if rule.broadcast == true, let destination = rule.exactDestination {
            throw fail(.ruleCannotMatch("send_broadcast=\"true\" with send_destination=\"\(destination)\" (broadcasts have no destination)", rule: element))
        }
        rule.requestedReply = try boolean(values, "send_requested_reply") ?? allow
        // dbus-daemon sets `log` only for the exact value "true" and ignores anything else.
        rule.log = values["log"] == "true"
        (rule.minFDs, rule.maxFDs) = try fdRange(values)
        return rule
    }

    private func receiveRule(_ values: [String: String]) throws(ConfigError) -> ReceiveRule {
        if values["receive_error"] != nil && (values["receive_member"] != nil || values["receive_interface"] != nil) {
            throw combination("combines receive_error with receive_member or receive_interface")
        }
        var rule = ReceiveRule(requestedReply: allow)
        rule.interface = wildcard(values["receive_interface"])
        rule.member = wildcard(values["receive_member"])
        rule.error = wildcard(values["receive_error"])
        rule.sender = wildcard(values["receive_sender"])
        rule.path = wildcard(values["receive_path"])
        rule.messageType = try messageType(values, "receive_type")
        rule.eavesdrop = try boolean(values, "eavesdrop") ?? false
        rule.requestedReply = try boolean(values, "receive_requested_reply") ?? allow
        (rule.minFDs, rule.maxFDs) = try fdRange(values)
        return rule
    }

    // MARK: - Attribute values

    /// `*` means "any", which the model spells nil.
    private func wildcard(_ value: String?) -> String? { value == "*" ? nil : value }

    private func messageType(_ values: [String: String], _ attribute: String) throws(ConfigError) -> MessageTypeMatch? {
        guard let text = wildcard(values[attribute]) else { return nil }
        guard let type = MessageTypeMatch(rawValue: text) else {
            throw fail(.badAttributeValue(attribute: attribute, value: text, expected: "method_call, method_return, signal, error or *"))
        }
        return type
    }

    private func boolean(_ values: [String: String], _ attribute: String) throws(ConfigError) -> Bool? {
        switch values[attribute] {
        case nil: return nil
        case "true": return true
        case "false": return false
        case let text?: throw fail(.badAttributeValue(attribute: attribute, value: text, expected: "true or false"))
        }
    }

    private func fdRange(_ values: [String: String]) throws(ConfigError) -> (Int, Int) {
        (try fdCount(values, "min_fds") ?? 0, try fdCount(values, "max_fds") ?? PolicyRuleLimits.maxMessageUnixFDs)
    }

    private func fdCount(_ values: [String: String], _ attribute: String) throws(ConfigError) -> Int? {
        guard let text = values[attribute] else { return nil }
        guard let count = Int(text), (0...PolicyRuleLimits.maxMessageUnixFDs).contains(count) else {
            throw fail(.badAttributeValue(attribute: attribute, value: text, expected: "an integer from 0 to \(PolicyRuleLimits.maxMessageUnixFDs)"))
        }
        return count
    }

    private func combination(_ detail: String) -> ConfigError { fail(.invalidAttributeCombination(detail, rule: element)) }

    private func fail(_ reason: ConfigError.Reason) -> ConfigError { ConfigError(reason, file: file, at: position) }
}

extension SendRule {
    /// The destination when the rule names one exactly; dbus-daemon refuses only that form
    /// together with `send_broadcast="true"`.
    fileprivate var exactDestination: String? {
        if case .exactly(let name) = destination { return name }
        return nil
    }
}
