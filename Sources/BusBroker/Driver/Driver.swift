// Driver
//
// `org.freedesktop.DBus`: the bus's own object. Decodes each call (with the allocating
// `Message`: this is not the hot path), checks its arguments and answers as dbus-daemon does.
import BusPlatform
import DBusWire

/// One call to the driver being answered: the decoded message and who sent it.
struct DriverCall {
    let message: Message
    let caller: PeerID
    let peer: Peer
    var member: String { message.member ?? "" }
}

extension Broker {
    static let driverPath = "/org/freedesktop/DBus"
    static let busInterface = "org.freedesktop.DBus"
    static let peerInterface = "org.freedesktop.DBus.Peer"
    static let introspectableInterface = "org.freedesktop.DBus.Introspectable"
    static let propertiesInterface = "org.freedesktop.DBus.Properties"
    static let monitoringInterface = "org.freedesktop.DBus.Monitoring"

    /// Answers `Hello`, the first message of every connection.
    func driverHello(_ view: MessageHeaderView, from peer: Peer) {
        if let refusal = helloRefusal(for: peer) {
            refuseHello(view, from: peer, because: refusal)
            return
        }
        let id = allocator.allocate()
        peer.id = id
        peer.uniqueNameBytes = Array(id.uniqueName.utf8)
        peer.state = .active
        peers[id] = peer
        connectionCompleted(peer, id: id)
        logger.debug("\(peer.logName) said Hello")
        reply(to: view.serial, of: id, body: [.string(id.uniqueName)])
        emit(registry.addPeer(id))
    }

    func handleDriverCall(_ view: MessageHeaderView, from peer: Peer) {
        guard let caller = peer.id else { return }
        let message: Message
        do throws(WireError) {
            message = try Message(decoding: view.buffer, unixFDsReceived: view.unixFDCount)
        } catch {
            disconnect(peer, reason: "driver call cannot be decoded: \(error)")
            return
        }
        guard message.type == .methodCall else {
            // Activation hook: systemd reports a failed start with a signal to the bus.
            if message.type == .signal { driverSignal(message, from: caller) }
            return
        }
        let call = DriverCall(message: message, caller: caller, peer: peer)
        let expectsReply = !message.flags.contains(.noReplyExpected)
        do throws(DriverError) {
            let answer = try dispatch(call)
            if let answer, answer.isDeferred { return }
            if expectsReply, let answer { reply(to: message.serial, of: caller, body: answer.body, fds: answer.fds) }
            else if let answer { for fd in answer.fds { closeDescriptor(fd) } }
        } catch {
            if expectsReply { sendError(to: caller, replySerial: message.serial, name: error.name, message: error.message) }
        }
    }

    /// What a driver method returns: the reply body and any fds it carries. nil: the method
    /// already replied itself (`BecomeMonitor` must reply before the peer becomes a monitor).
    struct DriverAnswer {
        var body: [DBusValue] = []
        var fds: [CInt] = []
        /// The method replies later by itself (StartServiceByName waits for the name).
        var isDeferred = false
    }

    private func dispatch(_ call: DriverCall) throws(DriverError) -> DriverAnswer? {
        let canonical = call.message.path == Broker.driverPath
        let member = call.member
        switch call.message.interface {
        case nil:
            // No interface: dbus-daemon looks the member up in its interfaces in order.
            if let handled = try busMethod(call) { return handled }
            if let handled = try peerMethod(call) { return handled }
            if member == "Introspect" { return try introspect(call, canonical: canonical) }
            throw .unknownMethod(member)
        case Broker.busInterface?:
            guard let handled = try busMethod(call) else { throw .unknownMethod(member) }
            return handled
        case Broker.peerInterface?:
            guard let handled = try peerMethod(call) else { throw .unknownMethod(member) }
            return handled
        case Broker.introspectableInterface?:
            guard member == "Introspect" else { throw .unknownMethod(member) }
            return try introspect(call, canonical: canonical)
        case Broker.propertiesInterface? where canonical:
            return try propertiesMethod(call)
        case Broker.monitoringInterface? where canonical:
            guard member == "BecomeMonitor" else { throw .unknownMethod(member) }
            try becomeMonitor(call)
            return nil
        default:
            throw .unknownInterface(member)
        }
    }

    private func introspect(_ call: DriverCall, canonical: Bool) throws(DriverError) -> DriverAnswer {
        try expect(call, "")
        return DriverAnswer(body: [.string(DriverIntrospection.xml(atCanonicalPath: canonical))])
    }

    private func peerMethod(_ call: DriverCall) throws(DriverError) -> DriverAnswer? {
        switch call.member {
        case "Ping":
            try expect(call, "")
            return DriverAnswer()
        case "GetMachineId":
            try expect(call, "")
            return DriverAnswer(body: [.string(machineID)])
        default:
            return nil
        }
    }

    /// Checks the call's signature, with dbus-daemon's error when it differs.
    func expect(_ call: DriverCall, _ signature: String) throws(DriverError) {
        let got = call.message.signature.string
        if got != signature { throw .wrongArguments(member: call.member, got: got, expected: signature) }
    }

    /// The `index`th argument as a string; the signature was checked by `expect`.
    func stringArgument(_ call: DriverCall, _ index: Int) -> String {
        if case .string(let value) = call.message.body[index] { return value }
        return ""
    }

    func uint32Argument(_ call: DriverCall, _ index: Int) -> UInt32 {
        if case .uint32(let value) = call.message.body[index] { return value }
        return 0
    }
}
