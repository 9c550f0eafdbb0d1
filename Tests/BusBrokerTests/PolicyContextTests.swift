// Policy Context Tests
//
// Which blocks apply to whom and in which order; ownership; who may connect; and the
// names dbus-daemon cannot resolve.

import Testing
@testable import BusBroker

@Suite struct PolicyContextTests {
    /// Each context allows or denies the same call; the one applied last decides.
    let layered = """
        <policy context="default"><deny send_interface="a.B"/></policy>
        <policy context="mandatory"><deny send_interface="a.B" send_member="Mandatory"/></policy>
        <policy group="staff"><allow send_interface="a.B"/></policy>
        <policy user="alice"><deny send_interface="a.B" send_member="Group"/></policy>
        <policy at_console="true"><allow send_interface="a.B" send_member="Console"/></policy>
        <policy at_console="false"><deny send_interface="a.B" send_member="Anywhere"/></policy>
        <policy user="alice"><allow send_interface="a.B" send_member="Mandatory"/></policy>
        """

    @Test func contextsApplyDefaultGroupUserConsoleMandatory() throws {
        let engine = try engine(layered)
        let staffAlice = engine.policy(forUser: alice, groups: [50], atConsole: true)
        #expect(staffAlice.send(.call("a.B", "Group")) == .deny(matchedRules: 3))  // user beats group
        #expect(staffAlice.send(.call("a.B", "Console")) == .allow)
        #expect(staffAlice.send(.call("a.B", "Anywhere")) == .allow)  // only for users not at a console
        #expect(staffAlice.send(.call("a.B", "Mandatory")) == .deny(matchedRules: 4))  // nothing beats mandatory
        let staffBob = engine.policy(forUser: bob, groups: [50])
        #expect(staffBob.send(.call("a.B", "Group")) == .allow)
        #expect(staffBob.send(.call("a.B", "Anywhere")) == .deny(matchedRules: 3))
        let plainBob = engine.policy(forUser: bob, groups: [])
        #expect(plainBob.send(.call("a.B", "Group")) == .deny(matchedRules: 1))
    }

    @Test func groupsApplyInTheOrderGiven() throws {
        let engine = try engine("""
            <policy group="wheel"><allow own="a.b"/></policy>
            <policy group="staff"><deny own="a.b"/></policy>
            """)
        #expect(!engine.policy(forUser: bob, groups: [10, 50]).canOwn("a.b"))
        #expect(engine.policy(forUser: bob, groups: [50, 10]).canOwn("a.b"))
        #expect(engine.hasGroupRules && !engine.hasConsoleRules)
    }

    @Test func blocksForTheSameContextConcatenateInFileOrder() throws {
        let engine = try engine("""
            <policy context="default"><allow own="x.y"/></policy>
            <policy user="alice"><deny own="x.y"/></policy>
            <policy context="default"><deny own="x.y"/><allow own="x.z"/></policy>
            """)
        let policy = engine.policy(forUser: alice, groups: [])
        #expect(!policy.canOwn("x.y") && policy.canOwn("x.z"))
        #expect(!engine.policy(forUser: bob, groups: []).canOwn("x.y"))
    }

    @Test func ownAndOwnPrefix() throws {
        let policy = try defaultPolicy("""
            <allow own="org.example.One"/>
            <allow own_prefix="org.example.Tree"/>
            <deny own="org.example.Tree.Closed"/>
            """)
        #expect(policy.canOwn("org.example.One"))
        #expect(!policy.canOwn("org.example.One.Two"))
        #expect(policy.canOwn("org.example.Tree") && policy.canOwn("org.example.Tree.Leaf.Deep"))
        #expect(!policy.canOwn("org.example.TreeHouse"))
        #expect(!policy.canOwn("org.example.Tree.Closed"))
        #expect(!policy.canOwn("org.other"))
        #expect(!policy.allowsEveryOwnership)
    }

    @Test func ownStarDiscardsEarlierOwnRules() throws {
        let policy = try defaultPolicy("<allow own=\"a.b\"/><deny own=\"*\"/><allow own_prefix=\"c\"/>")
        #expect(!policy.canOwn("a.b") && policy.canOwn("c.d"))
        let open = try defaultPolicy("<deny own=\"a.b\"/><allow own=\"*\"/>")
        #expect(open.allowsEveryOwnership && open.canOwn("a.b"))
    }

    @Test func canOwnFromTheMessageBuffer() throws {
        let policy = try defaultPolicy("<allow own_prefix=\"org.example\"/>")
        let message = TestMessage(.methodCall, member: "org.example.Name", destination: "org.exampleX")
        withExtendedLifetime(message) {
            #expect(policy.canOwn(message.fields.member!))
            #expect(!policy.canOwn(message.fields.destination!))
        }
    }

    @Test func onlyTheBusOwnerConnectsWithoutUserRules() throws {
        let engine = try engine("<policy context=\"default\"><allow own=\"*\"/></policy>")
        #expect(engine.canConnect(uid: busOwnerUID, groups: []))
        #expect(!engine.canConnect(uid: alice, groups: []))
        #expect(!engine.canConnect(uid: 0, groups: [0]))
    }

    @Test func userAndGroupRulesDecideWhoConnects() throws {
        let engine = try engine("""
            <policy context="default"><allow user="*"/><deny group="netdev"/><allow user="bob"/></policy>
            <policy context="mandatory"><deny user="1000"/></policy>
            """)
        #expect(!engine.canConnect(uid: alice, groups: []))  // mandatory
        #expect(engine.canConnect(uid: 7, groups: []))
        #expect(!engine.canConnect(uid: 7, groups: [60]))
        #expect(engine.canConnect(uid: bob, groups: [60]))  // later allow
        let ownerDenied = try BusBrokerTests.engine("<policy context=\"default\"><deny user=\"*\"/></policy>")
        #expect(!ownerDenied.canConnect(uid: busOwnerUID, groups: []))
    }

    @Test func unknownNamesAreWarnedAboutAndDropped() throws {
        let engine = try engine("""
            <policy user="mallory"><allow own="*"/></policy>
            <policy group="nogroup"><allow own="*"/></policy>
            <policy user="*"><allow own="*"/></policy>
            <policy context="default"><allow user="mallory"/><deny group="ghosts"/><allow user="bob"/></policy>
            """)
        #expect(engine.warnings.map(\.message) == [
            "Unknown username \"mallory\" in message bus configuration file",
            "Unknown group \"nogroup\" in message bus configuration file",
            "Unknown username \"*\" in message bus configuration file",
            "Unknown username \"mallory\" on element <allow>",
            "Unknown group \"ghosts\" on element <deny>",
        ])
        #expect(engine.warnings.map(\.line) == [2, 3, 4, 5, 5])
        #expect(engine.warnings[0].description.hasPrefix("\(mainPath):2: "))
        #expect(!engine.policy(forUser: alice, groups: []).canOwn("a.b"))
        #expect(engine.canConnect(uid: bob, groups: []) && !engine.canConnect(uid: alice, groups: []))
    }

    @Test func numericIDsMustExist() throws {
        let engine = try engine("<policy user=\"1001\"><allow own=\"a.b\"/></policy><policy user=\"31337\"><allow own=\"c.d\"/></policy>")
        #expect(engine.policy(forUser: bob, groups: []).canOwn("a.b"))
        #expect(!engine.policy(forUser: 31337, groups: []).canOwn("c.d"))
        #expect(engine.warnings.count == 1)
    }

    @Test func consoleBlocksIgnoreConnectRules() throws {
        let engine = try engine("<policy at_console=\"true\"><allow user=\"*\"/></policy>")
        #expect(!engine.canConnect(uid: alice, groups: []))
        // Kept by nobody, so the broker need not ask logind about anyone.
        #expect(!engine.hasConsoleRules)
        let withOwn = try BusBrokerTests.engine("<policy at_console=\"true\"><allow user=\"*\"/><allow own=\"a.b\"/></policy>")
        #expect(withOwn.hasConsoleRules && withOwn.policy(forUser: alice, groups: [], atConsole: true).canOwn("a.b"))
    }

    @Test func fastPathFlagsFollowTheRules() throws {
        let open = try defaultPolicy("<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/>")
        #expect(open.allowsEverySend && open.allowsEveryReceive && open.allowsEveryAddressedReceive && open.allowsEveryOwnership)
        // Without eavesdrop="true" an allow-all send rule still leaves unrequested replies out.
        let replies = try defaultPolicy("<allow send_destination=\"*\"/>")
        #expect(!replies.allowsEverySend)
        #expect(replies.send(.reply(), requestedReply: false) == .deny(matchedRules: 0))
        let noReplyCheck = try defaultPolicy("<allow send_destination=\"*\" send_requested_reply=\"false\"/>")
        #expect(noReplyCheck.allowsEverySend)
        let laterDeny = try defaultPolicy("<allow send_destination=\"*\" eavesdrop=\"true\"/><deny send_interface=\"a.B\"/>")
        #expect(!laterDeny.allowsEverySend && laterDeny.send(.call("a.B", "C")) == .deny(matchedRules: 2))
    }
}
