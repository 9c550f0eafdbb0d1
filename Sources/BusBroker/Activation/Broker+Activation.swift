// Activation
//
// Starting services on demand: StartServiceByName and auto-start find the `.service` file,
// spawn its Exec= line (or ask systemd), and wait for the name to be taken.
import BusPlatform
import DBusWire
import Glibc

extension Broker {
    /// `DBUS_STARTER_ADDRESS` for the services this bus starts; the executable sets it to
    /// the address it printed.
    public var activationAddress: String? {
        get { activation.starterAddress }
        set { activation.starterAddress = newValue }
    }

    /// `--systemd-activation`: services with `SystemdService=` are started by systemd.
    public var systemdActivation: Bool {
        get { activation.usesSystemd }
        set { activation.usesSystemd = newValue }
    }

    static let systemdName = "org.freedesktop.systemd1"
    static let systemdActivatorInterface = "org.freedesktop.systemd1.Activator"
    /// `DBUS_START_REPLY_SUCCESS` and `DBUS_START_REPLY_ALREADY_RUNNING`.
    static let startReplySuccess: UInt32 = 1
    static let startReplyAlreadyRunning: UInt32 = 2

    // MARK: - The catalog

    /// Rescans the service directories; files newly found broken are logged once.
    func refreshServiceCatalog() {
        for problem in activation.catalog.refresh(directories: serviceDirectories()) {
            logger.warning("service file skipped: \(problem)")
        }
    }

    private func serviceDirectories() -> [ServiceDirectoryPath] {
        StandardServiceDirectories.expand(config.serviceDirectories, environment: Broker.environment)
    }

    /// Every name a `.service` file provides, after a rescan.
    func activatableNames() -> [String] {
        refreshServiceCatalog()
        return activation.catalog.entries.keys.sorted()
    }

    /// The service file for `name`, after a rescan if a directory or the name's file
    /// changed: a file dropped in, edited or removed since the last scan counts without a
    /// reload, as in dbus-daemon.
    func serviceFile(for name: String) -> ServiceFile? {
        if activation.catalog.isStale(for: name, directories: serviceDirectories()) { refreshServiceCatalog() }
        return activation.catalog.entries[name]?.service
    }

    // MARK: - Starting

    /// What waits on an activation: a StartServiceByName call or a held message.
    enum ActivationWaiter {
        case start(StartRequest)
        case held(HeldMessage)
    }

    /// Adds `waiter` to the activation of `service`, starting it if none is under way. On
    /// error nothing is left behind (a held message's fds are closed) and the caller
    /// answers the requester.
    func activate(_ service: ServiceFile, for waiter: ActivationWaiter) throws(DriverError) {
        let name = service.name
        let limit = config.limits[.maxPendingServiceStarts]
        guard activation.pendingRequestCount < limit else {
            if case .held(let message) = waiter { message.closeDescriptors() }
            throw .activationLimit(name, limit: limit)
        }
        if let pending = activation.pending[name] {
            try add(waiter, to: pending)
            return
        }
        let pending = PendingActivation(name: name, service: service)
        try add(waiter, to: pending)
        activation.pending[name] = pending
        let timeout = config.limits[.serviceStartTimeout]
        pending.timeout = loop.addTimer(after: .milliseconds(timeout)) { [weak self, weak pending] _ in
            guard let self, let pending, self.activation.pending[name] === pending else { return }
            self.activationTimedOut(pending)
        }
        do throws(DriverError) {
            try launch(pending)
        } catch {
            logger.warning("cannot activate \(name): \(error.message)")
            discard(pending)
            throw error
        }
    }

    private func add(_ waiter: ActivationWaiter, to pending: PendingActivation) throws(DriverError) {
        switch waiter {
        case .start(let request):
            pending.starters.append(request)
        case .held(let message):
            let limit = limits.maxOutgoingBytes
            guard pending.heldBytes + message.bytes.count <= limit else {
                message.closeDescriptors()
                throw .heldQueueFull(pending.name, bytes: pending.heldBytes, limit: limit)
            }
            pending.held.append(message)
            pending.heldBytes += message.bytes.count
        }
        activation.pendingRequestCount += 1
    }

    /// Starts the process, or asks systemd to.
    private func launch(_ pending: PendingActivation) throws(DriverError) {
        let name = pending.name
        if activation.usesSystemd {
            // systemd itself is starting up: it will take its name on its own.
            if name == Broker.systemdName { return }
            if let unit = pending.service.systemdService {
                pending.viaSystemd = true
                try requestSystemdActivation(of: unit, for: name)
                return
            }
        }
        let arguments = try commandLine(for: pending.service)
        let process: ServiceProcess
        do throws(Errno) {
            process = ServiceProcess(try ServiceSpawner.spawn(arguments: arguments, environment: spawnEnvironment()),
                                     serviceName: name, broker: self)
        } catch {
            throw .execFailed(name, errno: error.rawValue)
        }
        logger.info("activating service name='\(name)' (\(arguments[0]), pid \(process.pid))")
        do throws(Errno) {
            process.registration = try loop.register(process.exitNotifier, interest: .readable, handler: process)
        } catch {
            kill(process.pid, SIGKILL)
            var status: CInt = 0
            _ = waitpid(process.pid, &status, 0)
            throw .execFailed(name, errno: error.rawValue)
        }
        activation.processes[process.pid] = process
        pending.process = process.pid
    }

    /// The argv to run: the service helper with the name on a system bus that has one
    /// (it reads the file and switches user itself), else the file's Exec= line.
    private func commandLine(for service: ServiceFile) throws(DriverError) -> [String] {
        if let helper = config.serviceHelper {
            guard service.user != nil else { throw .noUserForHelper() }
            return [helper, service.name]
        }
        do throws(ExecLine.ParseError) {
            return try ExecLine(parsing: service.exec).arguments
        } catch {
            throw .badExecLine(error)
        }
    }

    /// The broker's environment, `UpdateActivationEnvironment`'s variables over it, then
    /// the starter variables dbus-daemon sets in the child.
    func spawnEnvironment() -> [String] {
        var environment = Self.processEnvironment()
        for (key, value) in activationEnvironment { environment[key] = value }
        if let address = activation.starterAddress {
            environment["DBUS_STARTER_ADDRESS"] = address
            if let type = config.type {
                environment["DBUS_STARTER_BUS_TYPE"] = type.name
                switch type {
                case .session: environment["DBUS_SESSION_BUS_ADDRESS"] = address
                case .system: environment["DBUS_SYSTEM_BUS_ADDRESS"] = address
                case .custom: break
                }
            }
        }
        return environment.map { "\($0.key)=\($0.value)" }
    }

    private static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard entry != nil else { return result }
        while let pointer = entry?.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry = entry.map { $0 + 1 }
        }
        return result
    }

    // MARK: - Ending

    /// Removes `pending` from the table and the counts; its timer is cancelled.
    private func remove(_ pending: PendingActivation) {
        guard activation.pending[pending.name] === pending else { return }
        activation.pending[pending.name] = nil
        activation.pendingRequestCount -= pending.requestCount
        if let timeout = pending.timeout { loop.cancelTimer(timeout) }
    }

    /// Drops an activation that never started, closing what its held messages own.
    private func discard(_ pending: PendingActivation) {
        remove(pending)
        for message in pending.held { message.closeDescriptors() }
    }

    /// The name was taken: StartServiceByName callers get SUCCESS and held messages go to
    /// the new owner, in the order they came.
    func activationsCompleted(by events: [NameEvent]) {
        guard !activation.pending.isEmpty else { return }
        for case .ownerChanged(let change) in events {
            guard let owner = change.newOwner, let pending = activation.pending[change.name] else { continue }
            remove(pending)
            logger.info("activated service name='\(pending.name)' (\(owner.uniqueName))")
            for starter in pending.starters where starter.wantsReply {
                reply(to: starter.serial, of: starter.caller, body: [.uint32(Broker.startReplySuccess)])
            }
            for message in pending.held { deliverHeld(message, to: owner) }
        }
    }

    /// Ends an activation with `error`, sent to everyone waiting who wants a reply. When
    /// systemd itself failed to start, the activations waiting for it fail too.
    func failActivation(_ pending: PendingActivation, _ error: DriverError) {
        remove(pending)
        logger.warning("activation of \(pending.name) failed: \(error.name): \(error.message)")
        for starter in pending.starters where starter.wantsReply {
            sendError(to: starter.caller, replySerial: starter.serial, name: error.name, message: error.message)
        }
        for message in pending.held {
            message.closeDescriptors()
            if message.wantsReply, let sender = message.sender {
                sendError(to: sender, replySerial: message.serial, name: error.name, message: error.message)
            }
        }
        if pending.name == Broker.systemdName {
            let waiting = activation.pending.values.filter(\.viaSystemd)
            for other in waiting { failActivation(other, error) }
        }
    }

    private func activationTimedOut(_ pending: PendingActivation) {
        pending.timeout = nil
        if let pid = pending.process { kill(pid, SIGKILL) }
        failActivation(pending, .activationTimedOut(pending.name, milliseconds: config.limits[.serviceStartTimeout]))
        flushPending()
    }

    /// A child the bus started has been reaped; if its name was never taken, the
    /// activation fails with how it ended — and so does every other one waiting on the
    /// same Exec= line, as in dbus-daemon. Exit status 0 is not a failure: a service that
    /// daemonizes exits 0 before its child takes the name, so the wait goes on (bounded
    /// by service_start_timeout).
    func serviceProcessExited(_ process: ServiceProcess, how: ServiceExit?) {
        activation.processes[process.pid] = nil
        let name = process.serviceName
        guard let pending = activation.pending[name], pending.process == process.pid else {
            logger.debug("service \(name) (pid \(process.pid)) exited")
            return
        }
        pending.process = nil
        if how == .exited(status: 0) {
            logger.info("service \(name) (pid \(process.pid)) exited with status 0 before taking its name; still waiting")
            return
        }
        let error = exitError(name, how)
        let sameCommand = activation.pending.values.filter { $0 !== pending && $0.service.exec == pending.service.exec }
        failActivation(pending, error)
        for other in sameCommand { failActivation(other, error) }
        flushPending()
    }

    /// The error for a child that ended without the name: the service helper's exit codes
    /// mean specific failures; any other process reports its status or signal.
    private func exitError(_ name: String, _ how: ServiceExit?) -> DriverError {
        switch how {
        case .exited(let status)?:
            if config.serviceHelper != nil { return ServiceHelperExit.error(forExitCode: status) }
            return .childExited(name, status: status)
        case .signaled(let signal)?: return .childSignaled(name, signal: signal)
        case nil: return .exitedUnknown(name)
        }
    }
}
