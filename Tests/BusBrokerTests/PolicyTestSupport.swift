// Policy Test Support
//
// A user database from a table, messages built from strings, and engines built from rule
// text, so policy tests read like the configuration they exercise.

import DBusWire
@testable import BusBroker

/// Users and groups from a table, so tests can use any ids; `SystemUserDatabase` is tested
/// against the machine's own database separately.
struct TableUserDatabase: PolicyUserDatabase {
    var users: [String: UInt32] = ["root": 0, "alice": 1000, "bob": 1001, "svc": 500]
    var groups: [String: UInt32] = ["root": 0, "wheel": 10, "staff": 50, "netdev": 60]

    func userID(named name: String) -> UInt32? {
        if let number = UInt32(name) { return users.values.contains(number) ? number : nil }
        return users[name]
    }

    func groupID(named name: String) -> UInt32? {
        if let number = UInt32(name) { return groups.values.contains(number) ? number : nil }
        return groups[name]
    }
}

let alice: UInt32 = 1000
let bob: UInt32 = 1001
/// The uid test engines run as; not a user in the table.
let busOwnerUID: UInt32 = 4242

/// An engine from the inside of a `<busconfig>`.
func engine(_ body: String, busOwner: UInt32 = busOwnerUID) throws -> PolicyEngine {
    PolicyEngine(config: try loadBody(body), userDatabase: TableUserDatabase(), busOwner: busOwner)
}

/// The policy of `uid` (default alice, no groups) under a default-context block holding `rules`.
func defaultPolicy(_ rules: String, uid: UInt32 = alice, groups: [UInt32] = []) throws -> PeerPolicy {
    try engine("<policy context=\"default\">\(rules)</policy>").policy(forUser: uid, groups: groups)
}

/// A message whose string fields live in buffers owned by this object, so the
/// `PolicyMessage` it hands out stays valid as long as the object does (use it inside
/// `withExtendedLifetime`, as the helpers below do).
final class TestMessage {
    private var storage: [UnsafeMutableRawBufferPointer] = []
    private(set) var fields: PolicyMessage

    init(_ type: MessageType, path: String? = nil, interface: String? = nil, member: String? = nil,
         error: String? = nil, destination: String? = nil, sender: String? = nil,
         isReply: Bool = false, fds: Int = 0) {
        fields = PolicyMessage(type: type, isReply: isReply, unixFDCount: fds)
        fields.path = wire(path)
        fields.interface = wire(interface)
        fields.member = wire(member)
        fields.errorName = wire(error)
        fields.destination = wire(destination)
        fields.sender = wire(sender)
    }

    deinit { for buffer in storage { buffer.deallocate() } }

    private func wire(_ text: String?) -> WireString? {
        guard let text else { return nil }
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        buffer.copyBytes(from: bytes)
        storage.append(buffer)
        return WireString(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]))
    }

    static func call(_ interface: String?, _ member: String, to destination: String? = "com.example.Service",
                     path: String = "/") -> TestMessage {
        TestMessage(.methodCall, path: path, interface: interface, member: member, destination: destination)
    }

    static func signal(_ interface: String, _ member: String, to destination: String? = nil) -> TestMessage {
        TestMessage(.signal, path: "/", interface: interface, member: member, destination: destination)
    }

    static func reply(to destination: String = ":1.9") -> TestMessage {
        TestMessage(.methodReturn, destination: destination, isReply: true)
    }

    static func error(_ name: String, to destination: String = ":1.9") -> TestMessage {
        TestMessage(.error, error: name, destination: destination, isReply: true)
    }
}

/// The receiver or sender in most tests: owns com.example.Service.
let service = PolicyHeldNames([":1.7", "com.example.Service"])
let nobodyInParticular = PolicyHeldNames([":1.9"])

extension PeerPolicy {
    /// Send to `service`, unrequested unless said.
    func send(_ message: TestMessage, requestedReply: Bool = false, to receiver: PolicyHeldNames = service) -> PolicyDecision {
        withExtendedLifetime(message) { checkSend(message.fields, requestedReply: requestedReply, to: receiver) }
    }

    func receive(_ message: TestMessage, requestedReply: Bool = false, eavesdropping: Bool = false,
                 from sender: PolicyHeldNames = service) -> PolicyDecision {
        withExtendedLifetime(message) {
            checkReceive(message.fields, requestedReply: requestedReply, eavesdropping: eavesdropping, from: sender)
        }
    }

    /// Send to the bus driver or a not-yet-activated service.
    func sendByDestination(_ message: TestMessage, requestedReply: Bool = false) -> PolicyDecision {
        withExtendedLifetime(message) { checkSendByDestination(message.fields, requestedReply: requestedReply) }
    }

    func receiveFromBus(_ message: TestMessage, eavesdropping: Bool = false) -> PolicyDecision {
        withExtendedLifetime(message) { checkReceiveFromBus(message.fields, eavesdropping: eavesdropping) }
    }

    func eavesdrop(_ message: TestMessage, from sender: PolicyHeldNames = service) -> Bool {
        withExtendedLifetime(message) { isEavesdropAllowed(message.fields, from: sender) }
    }
}
