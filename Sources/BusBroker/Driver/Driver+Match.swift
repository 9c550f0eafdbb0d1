// Driver Match Rules
//
// `AddMatch`, `RemoveMatch` and `BecomeMonitor`: the rules that decide who gets copies.
import DBusWire

extension Broker {
    private func parseRule(_ text: String) throws(DriverError) -> MatchRule {
        do throws(MatchRuleError) {
            return try MatchRule(parsing: text)
        } catch {
            throw .matchRule(error)
        }
    }

    func addMatch(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "s")
        let rule = try parseRule(stringArgument(call, 0))
        let peer = call.peer
        do throws(MatchIndexError) {
            try matches.add(rule, owner: call.caller)
        } catch {
            throw DriverError(name: error.dbusErrorName, message: error.message)
        }
        peer.matchRuleCount += 1
        if rule.eavesdrop {
            peer.eavesdropRuleCount += 1
            eavesdropRuleCount += 1
        }
        return DriverAnswer()
    }

    func removeMatch(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "s")
        let rule = try parseRule(stringArgument(call, 0))
        guard matches.remove(rule, owner: call.caller) else {
            throw DriverError(name: "org.freedesktop.DBus.Error.MatchRuleNotFound",
                              message: "The given match rule wasn't found and can't be removed")
        }
        call.peer.matchRuleCount -= 1
        if rule.eavesdrop {
            call.peer.eavesdropRuleCount -= 1
            eavesdropRuleCount -= 1
        }
        return DriverAnswer()
    }

    /// `BecomeMonitor`: replies, then turns the caller into a monitor. Like dbus-daemon, the
    /// monitor loses its names (the signals announce it) and its match rules, and receives
    /// every message its rules select, eavesdropped or not.
    func becomeMonitor(_ call: DriverCall) throws(DriverError) {
        try expect(call, "asu")
        guard uint32Argument(call, 1) == 0 else { throw .invalidArgs("BecomeMonitor does not support any flags yet") }
        var rules: [MatchRule] = []
        if case .array(_, let texts) = call.message.body[0] {
            for case .string(let text) in texts {
                var rule = try parseRule(text)
                rule.eavesdrop = true
                rules.append(rule)
            }
        }
        let peer = call.peer
        if !call.message.flags.contains(.noReplyExpected) { reply(to: call.message.serial, of: call.caller) }
        releaseRules(of: peer)
        emit(registry.releaseAll(of: call.caller))
        peer.state = .monitor
        monitors[call.caller] = rules
        logger.debug("\(peer.logName) became a monitor with \(rules.count) rule(s)")
    }
}
