// Policy Send Tests
//
// Every `send_*` attribute and modifier, against bus/policy.c's matching rules.

import DBusWire
import Testing
@testable import BusBroker

@Suite struct PolicySendTests {
    @Test func noRuleDeniesWithZeroMatches() throws {
        let policy = try defaultPolicy("<allow own=\"*\"/>")
        #expect(policy.send(.call("a.B", "C")) == .deny(matchedRules: 0))
        #expect(!policy.allowsEverySend)
    }

    @Test func lastMatchingRuleWinsAndEveryMatchCounts() throws {
        let policy = try defaultPolicy("""
            <deny send_type="method_call"/>
            <allow send_interface="a.B"/>
            <deny send_member="C" send_interface="a.B"/>
            """)
        #expect(policy.send(.call("a.B", "D")) == .allow)
        #expect(policy.send(.call("a.B", "C")) == .deny(matchedRules: 3))
        #expect(policy.send(.call("x.Y", "C")) == .deny(matchedRules: 1))
    }

    @Test func interfaceAbsentFromMessage() throws {
        // An allow naming an interface does not cover a call without one; a deny does.
        let allowing = try defaultPolicy("<allow send_interface=\"a.B\"/>")
        #expect(allowing.send(.call(nil, "C")) == .deny(matchedRules: 0))
        #expect(allowing.send(.call("a.B", "C")) == .allow)
        let denying = try defaultPolicy("<allow send_destination=\"*\"/><deny send_interface=\"a.B\"/>")
        #expect(denying.send(.call(nil, "C")) == .deny(matchedRules: 2))
        #expect(denying.send(.call("x.Y", "C")) == .allow)
    }

    @Test func memberPathAndErrorMatchMessagesWithoutThatField() throws {
        let member = try defaultPolicy("<allow send_interface=\"a.B\" send_member=\"C\"/>")
        #expect(member.send(.call("a.B", "C")) == .allow)
        #expect(member.send(.call("a.B", "D")) == .deny(matchedRules: 0))
        // A return has no member, path or interface... but the allow names an interface.
        #expect(member.send(.reply(), requestedReply: true) == .deny(matchedRules: 0))
        // A return has no path: a path rule still matches it.
        let path = try defaultPolicy("<allow send_path=\"/p\" send_type=\"method_return\" send_requested_reply=\"false\"/>")
        #expect(path.send(.reply()) == .allow)
        // send_error matches every message without an error name, so a call passes.
        let error = try defaultPolicy("<allow send_error=\"x.Failed\"/>")
        #expect(error.send(.call("a.B", "D")) == .allow)
        #expect(error.send(.error("x.Other"), requestedReply: true) == .deny(matchedRules: 0))
        #expect(error.send(.error("x.Failed"), requestedReply: true) == .allow)
    }

    @Test func pathMustMatchWhenPresent() throws {
        let policy = try defaultPolicy("<allow send_path=\"/a\"/>")
        #expect(policy.send(.call("a.B", "C", path: "/a")) == .allow)
        #expect(policy.send(.call("a.B", "C", path: "/a/b")) == .deny(matchedRules: 0))
    }

    @Test(arguments: [MessageTypeMatch.methodCall, .methodReturn, .signal, .error])
    func sendType(_ type: MessageTypeMatch) throws {
        let policy = try defaultPolicy("<allow send_type=\"\(type.rawValue)\" send_requested_reply=\"false\"/>")
        let messages: [(MessageTypeMatch, TestMessage)] = [
            (.methodCall, .call("a.B", "C")), (.methodReturn, .reply()), (.signal, .signal("a.B", "C")), (.error, .error("a.E")),
        ]
        for (kind, message) in messages {
            #expect(policy.send(message).isAllowed == (kind == type), "\(kind) under send_type=\(type)")
        }
    }

    @Test func destinationMatchesAnyNameTheReceiverHoldsOrQueuesFor() throws {
        let policy = try defaultPolicy("<deny send_destination=\"com.example.Other\"/><allow send_destination=\"com.example.Service\"/>")
        // Addressed by its unique name, still the owner of the allowed name.
        #expect(policy.send(.call("a.B", "C", to: ":1.7")) == .allow)
        let queued = PolicyHeldNames([":1.8", "com.example.Other", "com.example.Service"])
        #expect(policy.send(.call("a.B", "C", to: "com.example.Other"), to: queued) == .allow)
        // Both rules match a receiver holding both names; the later allow wins.
        let other = PolicyHeldNames([":1.8", "com.example.Other"])
        #expect(policy.send(.call("a.B", "C", to: ":1.8"), to: other) == .deny(matchedRules: 1))
        #expect(policy.send(.call("a.B", "C", to: ":1.9"), to: nobodyInParticular) == .deny(matchedRules: 0))
    }

    @Test func deniedNameBlocksTheReceiversOtherNames() throws {
        let policy = try defaultPolicy("<allow send_destination=\"*\"/><deny send_destination=\"com.example.A\"/>")
        let both = PolicyHeldNames([":1.3", "com.example.A", "com.example.B"])
        #expect(policy.send(.call("a.B", "C", to: "com.example.B"), to: both) == .deny(matchedRules: 2))
        #expect(policy.send(.call("a.B", "C", to: "com.example.B"), to: PolicyHeldNames(["com.example.B"])) == .allow)
    }

    @Test func destinationPrefixCoversWholeWordsOnly() throws {
        let policy = try defaultPolicy("<allow send_destination_prefix=\"a.b\"/>")
        #expect(policy.send(.call("x.Y", "Z"), to: PolicyHeldNames([":1.1", "a.b"])) == .allow)
        #expect(policy.send(.call("x.Y", "Z"), to: PolicyHeldNames([":1.1", "a.b.c.d"])) == .allow)
        #expect(policy.send(.call("x.Y", "Z"), to: PolicyHeldNames([":1.1", "a.bc"])) == .deny(matchedRules: 0))
        #expect(policy.send(.call("x.Y", "Z"), to: PolicyHeldNames([":1.1", "a.c"])) == .deny(matchedRules: 0))
    }

    @Test func withoutAReceiverTheDestinationFieldDecides() throws {
        let policy = try defaultPolicy("""
            <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
            <allow send_destination_prefix="com.example"/>
            """)
        #expect(policy.sendByDestination(.call("org.freedesktop.DBus", "Hello", to: "org.freedesktop.DBus")) == .allow)
        #expect(policy.sendByDestination(.call("x.Y", "Z", to: "com.example.Tool")) == .allow)
        #expect(policy.sendByDestination(.call("x.Y", "Z", to: "com.examples")) == .deny(matchedRules: 0))
        #expect(policy.sendByDestination(.call("x.Y", "Z", to: "org.freedesktop.DBus")) == .deny(matchedRules: 0))
    }

    @Test func broadcastTristate() throws {
        let onlyBroadcasts = try defaultPolicy("<allow send_broadcast=\"true\"/>")
        #expect(onlyBroadcasts.send(.signal("a.B", "C")) == .allow)
        #expect(onlyBroadcasts.send(.signal("a.B", "C", to: "com.example.Service")) == .deny(matchedRules: 0))
        #expect(onlyBroadcasts.send(.call("a.B", "C")) == .deny(matchedRules: 0))
        let onlyUnicast = try defaultPolicy("<allow send_broadcast=\"false\"/>")
        #expect(onlyUnicast.send(.signal("a.B", "C")) == .deny(matchedRules: 0))
        #expect(onlyUnicast.send(.signal("a.B", "C", to: "com.example.Service")) == .allow)
        #expect(onlyUnicast.send(.call("a.B", "C")) == .allow)
    }

    @Test func requestedReplyDefaults() throws {
        // <allow>: only requested replies; <deny>: only unrequested ones.
        let allowReplies = try defaultPolicy("<allow send_type=\"method_return\"/>")
        #expect(allowReplies.send(.reply(), requestedReply: true) == .allow)
        #expect(allowReplies.send(.reply(), requestedReply: false) == .deny(matchedRules: 0))
        let denyReplies = try defaultPolicy("<allow send_destination=\"*\" send_requested_reply=\"false\"/><deny send_type=\"method_return\"/>")
        #expect(denyReplies.send(.reply(), requestedReply: true) == .allow)
        #expect(denyReplies.send(.reply(), requestedReply: false) == .deny(matchedRules: 2))
    }

    @Test func requestedReplyExplicit() throws {
        let anyReply = try defaultPolicy("<allow send_type=\"method_return\" send_requested_reply=\"false\"/>")
        #expect(anyReply.send(.reply(), requestedReply: false) == .allow)
        let denyAlways = try defaultPolicy("<allow send_destination=\"*\" send_requested_reply=\"false\"/><deny send_type=\"error\" send_requested_reply=\"true\"/>")
        #expect(denyAlways.send(.error("a.E"), requestedReply: true) == .deny(matchedRules: 2))
        // Not a reply: requested_reply is ignored.
        let callsOnly = try defaultPolicy("<allow send_requested_reply=\"true\" send_type=\"method_call\"/>")
        #expect(callsOnly.send(.call("a.B", "C")) == .allow)
    }

    @Test func eavesdropOnAnAllowSendRuleCoversUnrequestedReplies() throws {
        let policy = try defaultPolicy("<allow send_type=\"method_return\" eavesdrop=\"true\"/>")
        #expect(policy.send(.reply(), requestedReply: false) == .allow)
    }

    @Test func fdRange() throws {
        let policy = try defaultPolicy("<allow send_destination=\"*\"/><deny send_type=\"method_call\" min_fds=\"1\"/><allow send_interface=\"a.B\" max_fds=\"2\" min_fds=\"2\"/>")
        #expect(policy.send(TestMessage(.methodCall, path: "/", interface: "a.B", member: "C", destination: "d.E", fds: 0)) == .allow)
        #expect(policy.send(TestMessage(.methodCall, path: "/", interface: "x.Y", member: "C", destination: "d.E", fds: 1)) == .deny(matchedRules: 2))
        #expect(policy.send(TestMessage(.methodCall, path: "/", interface: "a.B", member: "C", destination: "d.E", fds: 2)) == .allow)
        #expect(policy.send(TestMessage(.methodCall, path: "/", interface: "a.B", member: "C", destination: "d.E", fds: 3)) == .deny(matchedRules: 2))
    }

    @Test func aCatchAllWithModifiersStillDiscardsEarlierRules() throws {
        // dbus-daemon's pruning looks only at type, path, interface, member, error and
        // destination, so this deny (which matches only messages with fds) drops the allow
        // before it; observed on dbus-daemon 1.14.10 with send_broadcast (PolicyDaemonTests).
        let policy = try defaultPolicy("<allow send_destination=\"*\"/><deny send_destination=\"*\" min_fds=\"1\"/>")
        #expect(policy.send(.call("a.B", "C")) == .deny(matchedRules: 0))
        let broadcast = try defaultPolicy("<allow send_interface=\"a.B\"/><deny send_broadcast=\"true\"/>")
        #expect(broadcast.send(.call("a.B", "C")) == .deny(matchedRules: 0))
        #expect(broadcast.send(.signal("a.B", "C")) == .deny(matchedRules: 1))
    }

    @Test func logOnTheDecidingAllowRule() throws {
        let policy = try defaultPolicy("<allow send_destination=\"*\"/><allow send_interface=\"a.B\" log=\"true\"/>")
        #expect(policy.send(.call("a.B", "C")) == .allowAndLog(matchedRules: 2))
        #expect(policy.send(.call("x.Y", "C")) == .allow)
        #expect(!policy.allowsEverySend)
    }

    @Test func headerViewFillsTheFields() throws {
        let call = Message.methodCall(path: "/obj", interface: "a.B", member: "C", destination: "com.example.Service", serial: 7)
        let bytes = try call.encoded()
        let policy = try defaultPolicy("<allow send_destination=\"com.example.Service\" send_path=\"/obj\" send_interface=\"a.B\" send_member=\"C\" send_type=\"method_call\"/>")
        try bytes.withUnsafeBytes { buffer in
            let fields = PolicyMessage(header: try MessageHeaderView(validating: buffer))
            #expect(fields.type == .methodCall && !fields.isReply && fields.unixFDCount == 0)
            #expect(policy.checkSend(fields, requestedReply: false, to: service) == .allow)
        }
    }
}
