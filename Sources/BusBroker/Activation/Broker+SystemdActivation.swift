// Systemd Activation
//
// With `--systemd-activation`, services whose file names a `SystemdService=` are started
// by systemd: the bus asks with an ActivationRequest signal and hears back only on failure.
import DBusWire

extension Broker {
    /// Sends `org.freedesktop.systemd1.Activator.ActivationRequest(unit)` from the bus to
    /// systemd, as dbus-daemon does (a directed signal: systemd answers by the service
    /// taking its name, or with ActivationFailure). When systemd is not on the bus yet, it
    /// is activated itself and the request waits for it like any held message.
    func requestSystemdActivation(of unit: String, for name: String) throws(DriverError) {
        logger.info("activating via systemd: service name='\(name)' unit='\(unit)'")
        var message = Message.signal(path: Broker.driverPath, interface: Broker.systemdActivatorInterface,
                                     member: "ActivationRequest", destination: Broker.systemdName, body: [.string(unit)])
        try sendFromBus(&message, to: Broker.systemdName)
    }

    /// `org.freedesktop.systemd1.Manager.SetEnvironment(assignments)`, no reply wanted, so
    /// services systemd starts see what UpdateActivationEnvironment set — sent, or held
    /// while systemd is activated, as dbus-daemon's `bus_driver_send_or_activate` does.
    func forwardEnvironmentToSystemd(_ assignments: [String]) throws(DriverError) {
        var message = Message.methodCall(
            path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager", member: "SetEnvironment",
            destination: Broker.systemdName, body: [.array(element: .string, assignments.map { .string($0) })],
            flags: .noReplyExpected)
        try sendFromBus(&message, to: Broker.systemdName)
    }

    /// Delivers a message from the bus to `name`'s owner, or holds it while `name` is
    /// activated; ServiceUnknown when nobody owns it and nothing provides it.
    private func sendFromBus(_ message: inout Message, to name: String) throws(DriverError) {
        message.sender = Broker.driverName
        message.serial = takeDriverSerial()
        let bytes: [UInt8]
        do throws(WireError) {
            bytes = try message.encoded()
        } catch {
            throw DriverError(name: "org.freedesktop.DBus.Error.Failed",
                              message: "Cannot encode \(message.member ?? "a message") for \(name): \(error)")
        }
        let held = HeldMessage(sender: nil, bytes: bytes, fds: [], serial: message.serial, wantsReply: false)
        if let owner = registry.owner(of: name) {
            deliverHeld(held, to: owner)
            return
        }
        guard let service = serviceFile(for: name) else { throw .serviceUnknown(name) }
        try activate(service, for: .held(held))
    }

    /// A signal addressed to the bus. Only systemd's `ActivationFailure(unit, error name,
    /// message)` means anything: every activation waiting on that unit fails with that
    /// error. From anyone but the owner of org.freedesktop.systemd1 it is ignored.
    func driverSignal(_ message: Message, from caller: PeerID) {
        guard message.interface == Broker.systemdActivatorInterface, message.member == "ActivationFailure",
              registry.owner(of: Broker.systemdName) == caller, message.signature.string == "sss",
              case .string(let unit) = message.body[0], case .string(let code) = message.body[1],
              case .string(let text) = message.body[2]
        else { return }
        logger.info("activation via systemd failed for unit '\(unit)': \(text)")
        let failed = activation.pending.values.filter { $0.viaSystemd && $0.service.systemdService == unit }
        for pending in failed { failActivation(pending, DriverError(name: code, message: text)) }
    }
}
