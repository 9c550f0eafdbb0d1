// Policy Access Denied Text Tests
//
// The refusal texts, against strings captured from dbus-daemon 1.14.10.

import DBusWire
import Testing
@testable import BusBroker

@Suite struct PolicyAccessDeniedTextTests {
    /// dbus-send's command line as /proc/PID/cmdline holds it.
    let dbusSendCmdline = Array("dbus-send\u{0}--bus=unix:path=/tmp/pol/sock\u{0}--print-reply\u{0}--dest=org.freedesktop.DBus\u{0}/\u{0}com.x.Foo\u{0}".utf8)

    @Test func rejectedSendToTheBusDriver() {
        // Captured from dbus-daemon 1.14.10 (deny everything, then dbus-send to the driver).
        let captured = "Rejected send message, 0 matched rules; type=\"method_call\", sender=\":1.0\" "
            + "(uid=0 pid=28003 comm=\"dbus-send --bus=unix:path=/tmp/pol/sock --print-re\") interface=\"com.x\" "
            + "member=\"Foo\" error name=\"(unset)\" requested_reply=\"0\" destination=\"org.freedesktop.DBus\" (bus)"
        let command = AccessDeniedText.command(fromCmdline: dbusSendCmdline)
        let sender = AccessDeniedText.Peer(name: ":1.0", logInfo: AccessDeniedText.logInfo(uid: 0, pid: 28003, command: command))
        let message = TestMessage(.methodCall, path: "/", interface: "com.x", member: "Foo", destination: "org.freedesktop.DBus")
        let text = withExtendedLifetime(message) {
            AccessDeniedText.message(.rejectedSend, matchedRules: 0, message: message.fields, requestedReply: false,
                                     sender: sender, receiver: nil)
        }
        #expect(text == captured)
    }

    @Test func peersBusAndUnsetFields() {
        let message = TestMessage(.error, error: "a.Failed", isReply: true)
        let receiver = AccessDeniedText.Peer(name: ":1.3", logInfo: "uid=1000 pid=7 comm=\"x\"")
        let text = withExtendedLifetime(message) {
            AccessDeniedText.message(.rejectedReceive, matchedRules: 2, message: message.fields, requestedReply: true,
                                     sender: nil, receiver: receiver)
        }
        #expect(text == "Rejected receive message, 2 matched rules; type=\"error\", sender=\"(unset)\" ((bus)) "
            + "interface=\"(unset)\" member=\"(unset)\" error name=\"a.Failed\" requested_reply=\"1\" "
            + "destination=\"org.freedesktop.DBus\" (uid=1000 pid=7 comm=\"x\")")
    }

    @Test func commandLineSquashing() {
        #expect(AccessDeniedText.command(fromCmdline: Array("/bin/sleep\u{0}60\u{0}".utf8)) == "/bin/sleep 60")
        #expect(AccessDeniedText.command(fromCmdline: [0x61, 0x09, 0xC3, 0xA9, 0x7F, 0x00, 0x00]) == "a???\u{7F} ")
        #expect(AccessDeniedText.command(fromCmdline: [UInt8]()) == "")
        #expect(AccessDeniedText.command(fromCmdline: [UInt8](repeating: 0x41, count: 80)).utf8.count == AccessDeniedText.maxCommandBytes)
    }

    @Test func logInfoParts() {
        #expect(AccessDeniedText.logInfo(uid: 5, pid: nil, command: nil) == "uid=5")
        #expect(AccessDeniedText.logInfo(uid: nil, pid: 9, command: nil) == "pid=9 comm=\"\"")
        #expect(AccessDeniedText.logInfo(uid: 0, pid: 1, command: "init", securityLabel: "unconfined") == "uid=0 pid=1 comm=\"init\" label=\"unconfined\"")
        #expect(AccessDeniedText.logInfo(uid: nil, pid: nil, command: nil) == "")
    }

    @Test func ownershipText() {
        #expect(AccessDeniedText.ownershipDenied(connection: ":1.5", name: "org.freedesktop.NetworkManager")
            == "Connection \":1.5\" is not allowed to own the service \"org.freedesktop.NetworkManager\" due to security policies in the configuration file")
    }

    @Test(arguments: MessageType.allCases)
    func typeNames(_ type: MessageType) {
        let expected: [MessageType: String] = [.methodCall: "method_call", .methodReturn: "method_return", .signal: "signal", .error: "error"]
        #expect(AccessDeniedText.typeName(type) == expected[type])
    }
}
