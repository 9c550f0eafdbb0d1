import Testing
@testable import BusBroker

@Suite struct ConfigPolicyRuleTests {
    @Test func sendRuleCarriesEveryAttribute() throws {
        let kinds = try rules("""
            <allow send_interface="org.example.I" send_member="M" send_destination="org.example"
                   send_path="/p" send_type="method_call" send_requested_reply="false"
                   send_broadcast="false" eavesdrop="true" log="true" min_fds="1" max_fds="4"/>
            """)
        var expected = SendRule(requestedReply: false)
        expected.interface = "org.example.I"
        expected.member = "M"
        expected.destination = .exactly("org.example")
        expected.path = "/p"
        expected.messageType = .methodCall
        expected.broadcast = false
        expected.eavesdrop = true
        expected.log = true
        expected.minFDs = 1
        expected.maxFDs = 4
        #expect(kinds == [.send(expected)])
    }

    @Test func receiveRuleCarriesEveryAttribute() throws {
        let kinds = try rules("""
            <deny receive_interface="org.example.I" receive_member="M" receive_sender="org.example"
                  receive_path="/p" receive_type="signal" receive_requested_reply="true" eavesdrop="false" max_fds="0"/>
            """)
        var expected = ReceiveRule(requestedReply: true)
        expected.interface = "org.example.I"
        expected.member = "M"
        expected.sender = "org.example"
        expected.path = "/p"
        expected.messageType = .signal
        expected.maxFDs = 0
        #expect(kinds == [.receive(expected)])
    }

    @Test func wildcardsBecomeAnyAndRequestedReplyDefaultsToAllowOrDeny() throws {
        let kinds = try rules("""
            <allow send_destination="*" send_interface="*" send_type="*"/>
            <deny send_error="org.example.Error"/>
            <allow receive_error="*" receive_sender="*"/>
            """)
        #expect(kinds == [
            .send(SendRule(requestedReply: true)),
            .send({ var rule = SendRule(requestedReply: false); rule.error = "org.example.Error"; return rule }()),
            .receive(ReceiveRule(requestedReply: true)),
        ])
    }

    @Test func loneEavesdropIsAReceiveRule() throws {
        var expected = ReceiveRule(requestedReply: true)
        expected.eavesdrop = true
        #expect(try rules("<allow eavesdrop=\"true\"/>") == [.receive(expected)])
    }

    @Test func ownUserAndGroupRules() throws {
        #expect(try rules("""
            <allow own="*"/><allow own="org.example"/><deny own_prefix="org.example.private"/>
            <allow user="*"/><deny user="nobody"/><allow group="1000"/>
            """) == [
            .own(.any), .own(.exactly("org.example")), .own(.prefix("org.example.private")),
            .user(.any), .user(.named("nobody")), .group(.named("1000")),
        ])
    }

    @Test func destinationPrefix() throws {
        #expect(try rules("<allow send_destination_prefix=\"org.example\"/>") == [
            .send({ var rule = SendRule(requestedReply: true); rule.destination = .prefix("org.example"); return rule }()),
        ])
    }

    @Test func rulesKeepDocumentOrderAndTheirLines() throws {
        let config = try loadBody("<policy context=\"default\">\n<deny own=\"*\"/>\n<allow own=\"a.b\"/>\n</policy>")
        #expect(config.policies[0].rules.map(\.allow) == [false, true])
        #expect(config.policies[0].rules.map(\.line) == [3, 4])
    }

    @Test(arguments: [
        ("<allow/>", ConfigError.Reason.ruleWithoutAttributes("allow")),
        ("<deny log=\"true\"/>", .ruleWithoutAttributes("deny")),
        ("<allow max_fds=\"3\"/>", .ruleWithoutAttributes("allow")),
        ("<allow send_to=\"x\"/>", .attributeNotAllowed("send_to", on: "allow")),
        ("<allow send_member=\"M\"/>", .memberWithoutInterfaceOrPath("allow")),
        ("<deny receive_member=\"M\" receive_sender=\"a.b\"/>", .memberWithoutInterfaceOrPath("deny")),
        ("<allow send_interface=\"a.b\" receive_sender=\"c.d\"/>", .invalidAttributeCombination("mixes send_ and receive_ attributes", rule: "allow")),
        ("<allow own=\"a.b\" user=\"root\"/>",
         .invalidAttributeCombination("mixes own, own_prefix, user, group and message attributes, which cannot be combined", rule: "allow")),
        ("<allow own=\"a.b\" send_destination=\"a.b\"/>",
         .invalidAttributeCombination("mixes own, own_prefix, user, group and message attributes, which cannot be combined", rule: "allow")),
        ("<allow send_error=\"a.E\" send_interface=\"a.b\"/>",
         .invalidAttributeCombination("combines send_error with send_member or send_interface", rule: "allow")),
        ("<allow receive_error=\"a.E\" receive_interface=\"a.b\"/>",
         .invalidAttributeCombination("combines receive_error with receive_member or receive_interface", rule: "allow")),
        ("<allow send_destination=\"a.b\" send_destination_prefix=\"a\"/>",
         .invalidAttributeCombination("combines send_destination with send_destination_prefix", rule: "allow")),
        ("<allow send_destination=\"a.b\" send_broadcast=\"true\"/>",
         .ruleCannotMatch("send_broadcast=\"true\" with send_destination=\"a.b\" (broadcasts have no destination)", rule: "allow")),
        ("<allow send_type=\"method\"/>",
         .badAttributeValue(attribute: "send_type", value: "method", expected: "method_call, method_return, signal, error or *")),
        ("<allow receive_type=\"call\"/>",
         .badAttributeValue(attribute: "receive_type", value: "call", expected: "method_call, method_return, signal, error or *")),
        ("<allow send_broadcast=\"yes\"/>", .badAttributeValue(attribute: "send_broadcast", value: "yes", expected: "true or false")),
        ("<allow send_type=\"signal\" send_requested_reply=\"1\"/>",
         .badAttributeValue(attribute: "send_requested_reply", value: "1", expected: "true or false")),
        ("<allow receive_type=\"signal\" receive_requested_reply=\"no\"/>",
         .badAttributeValue(attribute: "receive_requested_reply", value: "no", expected: "true or false")),
        ("<allow eavesdrop=\"maybe\"/>", .badAttributeValue(attribute: "eavesdrop", value: "maybe", expected: "true or false")),
        ("<allow send_type=\"signal\" max_fds=\"-1\"/>", .badAttributeValue(attribute: "max_fds", value: "-1", expected: "an integer from 0 to 33554432")),
        ("<allow send_type=\"signal\" min_fds=\"many\"/>", .badAttributeValue(attribute: "min_fds", value: "many", expected: "an integer from 0 to 33554432")),
        ("<allow receive_type=\"signal\" max_fds=\"33554433\"/>",
         .badAttributeValue(attribute: "max_fds", value: "33554433", expected: "an integer from 0 to 33554432")),
    ])
    func refusesInvalidRules(body: String, reason: ConfigError.Reason) {
        #expect(ruleError(body) == reason)
    }

    @Test func connectRulesAreRefusedInPerUserAndPerGroupPolicies() {
        #expect(errorOfBody("<policy user=\"root\"><allow user=\"*\"/></policy>")?.reason == .globalRuleInPerUserPolicy("allow", context: "user"))
        #expect(errorOfBody("<policy group=\"adm\"><deny group=\"x\"/></policy>")?.reason == .globalRuleInPerUserPolicy("deny", context: "group"))
        #expect(errorOfBody("<policy at_console=\"true\"><allow user=\"*\"/></policy>") == nil)
    }
}
