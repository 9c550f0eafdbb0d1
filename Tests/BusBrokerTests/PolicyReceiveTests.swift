// Policy Receive Tests
//
// `receive_*` rules, eavesdropping, and messages from the bus driver.

import DBusWire
import Testing
@testable import BusBroker

@Suite struct PolicyReceiveTests {
    @Test func receiveFieldsAndSender() throws {
        let policy = try defaultPolicy("""
            <allow receive_type="signal"/>
            <allow receive_sender="com.example.Service" receive_interface="a.B"/>
            <deny receive_sender="com.example.Service" receive_member="Secret" receive_path="/s"/>
            """)
        #expect(policy.receive(.signal("x.Y", "Z"), from: nobodyInParticular) == .allow)
        #expect(policy.receive(.call("a.B", "C"), from: service) == .allow)
        #expect(policy.receive(.call("a.B", "C"), from: nobodyInParticular) == .deny(matchedRules: 0))
        #expect(policy.receive(.call("a.B", "Secret", path: "/s"), from: service) == .deny(matchedRules: 2))
        #expect(policy.receive(.call("a.B", "Secret", path: "/t"), from: service) == .allow)
    }

    @Test func receiveErrorAndType() throws {
        let policy = try defaultPolicy("<allow receive_type=\"error\" receive_error=\"a.Bad\" receive_requested_reply=\"false\"/>")
        #expect(policy.receive(.error("a.Bad")) == .allow)
        #expect(policy.receive(.error("a.Worse")) == .deny(matchedRules: 0))
        #expect(policy.receive(.reply()) == .deny(matchedRules: 0))
    }

    @Test func requestedReplyOnReceive() throws {
        let policy = try defaultPolicy("<allow receive_type=\"method_return\"/>")
        #expect(policy.receive(.reply(), requestedReply: true) == .allow)
        #expect(policy.receive(.reply(), requestedReply: false) == .deny(matchedRules: 0))
        let deny = try defaultPolicy("<allow receive_sender=\"*\" receive_requested_reply=\"false\"/><deny receive_type=\"method_return\"/>")
        #expect(deny.receive(.reply(), requestedReply: true) == .allow)
        #expect(deny.receive(.reply(), requestedReply: false) == .deny(matchedRules: 2))
    }

    @Test func allowCoversEavesdroppingOnlyWithEavesdropTrue() throws {
        let plain = try defaultPolicy("<allow receive_sender=\"*\"/>")
        #expect(plain.receive(.call("a.B", "C"), eavesdropping: false) == .allow)
        #expect(plain.receive(.call("a.B", "C"), eavesdropping: true) == .deny(matchedRules: 0))
        #expect(!plain.mayEavesdrop && !plain.eavesdrop(.call("a.B", "C")))
        let eavesdropper = try defaultPolicy("<allow eavesdrop=\"true\"/>")
        #expect(eavesdropper.mayEavesdrop && eavesdropper.eavesdrop(.call("a.B", "C")))
        #expect(eavesdropper.allowsEveryReceive)
    }

    @Test func denyWithEavesdropTrueAppliesOnlyWhenEavesdropping() throws {
        let policy = try defaultPolicy("<allow eavesdrop=\"true\"/><deny receive_interface=\"a.B\" eavesdrop=\"true\"/>")
        #expect(policy.receive(.call("a.B", "C"), eavesdropping: false) == .allow)
        #expect(policy.receive(.call("a.B", "C"), eavesdropping: true) == .deny(matchedRules: 2))
        #expect(!policy.eavesdrop(.call("a.B", "C")) && policy.eavesdrop(.call("x.Y", "C")))
        #expect(policy.allowsEveryAddressedReceive && !policy.allowsEveryReceive)
        // A plain deny applies both ways.
        let plain = try defaultPolicy("<allow eavesdrop=\"true\"/><deny receive_interface=\"a.B\"/>")
        #expect(plain.receive(.call("a.B", "C"), eavesdropping: false) == .deny(matchedRules: 2))
        #expect(!plain.allowsEveryAddressedReceive)
    }

    @Test func eavesdroppedRepliesAreNeverRequested() throws {
        let policy = try defaultPolicy("<allow receive_type=\"method_return\" eavesdrop=\"true\"/>")
        #expect(policy.eavesdrop(.reply()))
        let strict = try defaultPolicy("<allow receive_sender=\"*\" eavesdrop=\"true\"/><deny receive_type=\"method_return\" eavesdrop=\"true\"/>")
        #expect(!strict.eavesdrop(.reply()))
    }

    @Test func fromTheBusTheSenderFieldDecides() throws {
        let policy = try defaultPolicy("<allow receive_sender=\"org.freedesktop.DBus\"/>")
        #expect(policy.receiveFromBus(TestMessage(.signal, path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                                                  member: "NameAcquired", destination: ":1.4", sender: "org.freedesktop.DBus")) == .allow)
        #expect(policy.receiveFromBus(TestMessage(.signal, interface: "x.Y", member: "Z", sender: "x.Other")) == .deny(matchedRules: 0))
        // The driver's replies count as requested.
        #expect(policy.receiveFromBus(TestMessage(.methodReturn, destination: ":1.4", sender: "org.freedesktop.DBus", isReply: true)) == .allow)
    }

    @Test func fdRangeOnReceive() throws {
        let policy = try defaultPolicy("<allow receive_sender=\"*\"/><deny receive_type=\"method_call\" min_fds=\"1\"/>")
        #expect(policy.receive(TestMessage(.methodCall, interface: "a.B", member: "C", fds: 0)) == .allow)
        #expect(policy.receive(TestMessage(.methodCall, interface: "a.B", member: "C", fds: 1)) == .deny(matchedRules: 2))
    }
}
