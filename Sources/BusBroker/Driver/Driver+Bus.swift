// Driver Bus Methods
//
// The methods of the `org.freedesktop.DBus` interface, dispatched by name.
import BusPlatform
import DBusWire

extension Broker {
    /// Runs a method of `org.freedesktop.DBus`; nil when the member is not one.
    func busMethod(_ call: DriverCall) throws(DriverError) -> DriverAnswer? {
        switch call.member {
        case "Hello":
            try expect(call, "")
            throw DriverError(name: "org.freedesktop.DBus.Error.Failed", message: "Already handled an Hello message")
        case "RequestName": return try requestName(call)
        case "ReleaseName": return try releaseName(call)
        case "ListQueuedOwners": return try listQueuedOwners(call)
        case "ListNames":
            try expect(call, "")
            return DriverAnswer(body: [Self.strings([Broker.driverName] + registry.allNames)])
        case "ListActivatableNames":
            try expect(call, "")
            // dbus-daemon lists itself too, though it has no .service file.
            return DriverAnswer(body: [Self.strings([Broker.driverName] + activatableNames())])
        case "NameHasOwner":
            try expect(call, "s")
            let name = stringArgument(call, 0)
            return DriverAnswer(body: [.boolean(name == Broker.driverName || registry.owner(of: name) != nil)])
        case "StartServiceByName": return try startServiceByName(call)
        case "UpdateActivationEnvironment": return try updateActivationEnvironment(call)
        case "GetNameOwner":
            try expect(call, "s")
            let name = stringArgument(call, 0)
            if name == Broker.driverName { return DriverAnswer(body: [.string(Broker.driverName)]) }
            guard let owner = registry.owner(of: name) else { throw .noOwner(name, getting: "owner") }
            return DriverAnswer(body: [.string(owner.uniqueName)])
        case "GetConnectionUnixUser": return try connectionUnixUser(call)
        case "GetConnectionUnixProcessID": return try connectionUnixProcessID(call)
        case "GetConnectionCredentials": return try connectionCredentials(call)
        case "GetAdtAuditSessionData": return try adtAuditSessionData(call)
        case "GetConnectionSELinuxSecurityContext": return try selinuxSecurityContext(call)
        case "AddMatch": return try addMatch(call)
        case "RemoveMatch": return try removeMatch(call)
        case "GetId":
            try expect(call, "")
            return DriverAnswer(body: [.string(guid.hex)])
        case "ReloadConfig":
            try expect(call, "")
            if let error = reloadConfiguration() {
                throw DriverError(name: "org.freedesktop.DBus.Error.Failed", message: error.description)
            }
            return DriverAnswer()
        default:
            return nil
        }
    }

    // MARK: - Names

    private func requestName(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "su")
        let name = stringArgument(call, 0)
        guard NameValidation.isValid(name, as: .busName) else {
            throw .invalidArgs("Requested bus name \"\(name)\" is not valid")
        }
        // dbus-daemon's order: reserved names, then the ownership policy, then the registry.
        if let refusal = NameRegistry.reservationError(requesting: name, by: call.caller) {
            throw DriverError(name: refusal.dbusErrorName, message: refusal.message)
        }
        if let denial = ownershipRefusal(of: name, by: call.caller) {
            throw DriverError(name: Broker.accessDeniedError, message: denial)
        }
        if !registry.holdsOrQueues(name, peer: call.caller), let refusal = userNameQuotaRefusal(for: call.caller) {
            logger.warning("refusing RequestName \(name) from \(call.peer.logName): \(refusal.logMessage)")
            throw DriverError(name: refusal.dbusErrorName, message: refusal.message)
        }
        do throws(NameRegistryError) {
            let outcome = try registry.requestName(
                name, by: call.caller, flags: RequestNameFlags(rawValue: uint32Argument(call, 1)))
            emit(outcome.events)
            return DriverAnswer(body: [.uint32(outcome.reply.rawValue)])
        } catch {
            throw DriverError(name: error.dbusErrorName, message: error.message)
        }
    }

    private func releaseName(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "s")
        let name = stringArgument(call, 0)
        guard NameValidation.isValid(name, as: .busName) else {
            throw .invalidArgs("Given bus name \"\(name)\" is not valid")
        }
        do throws(NameRegistryError) {
            let outcome = try registry.releaseName(name, by: call.caller)
            emit(outcome.events)
            return DriverAnswer(body: [.uint32(outcome.reply.rawValue)])
        } catch {
            throw DriverError(name: error.dbusErrorName, message: error.message)
        }
    }

    private func listQueuedOwners(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "s")
        let name = stringArgument(call, 0)
        if name == Broker.driverName { return DriverAnswer(body: [Self.strings([Broker.driverName])]) }
        let owners = registry.queuedOwners(of: name)
        if owners.isEmpty { throw .noOwner(name, getting: "owners") }
        return DriverAnswer(body: [Self.strings(owners.map(\.uniqueName))])
    }

    // MARK: - Activation

    /// dbus-daemon's order: the pending-start limit, then the .service file (an owned name
    /// without one is still ServiceUnknown), then whether it already has an owner. The reply
    /// waits for the name to be taken (Broker+Activation).
    private func startServiceByName(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "su")
        let name = stringArgument(call, 0)
        let limit = config.limits[.maxPendingServiceStarts]
        if activation.pendingRequestCount >= limit { throw .activationLimit(name, limit: limit) }
        guard let service = serviceFile(for: name) else { throw .serviceUnknown(name) }
        if registry.owner(of: name) != nil { return DriverAnswer(body: [.uint32(Broker.startReplyAlreadyRunning)]) }
        let request = StartRequest(caller: call.caller, serial: call.message.serial,
                                   wantsReply: !call.message.flags.contains(.noReplyExpected))
        try activate(service, for: .start(request))
        return DriverAnswer(isDeferred: true)
    }

    /// Later spawns see these variables; with --systemd-activation systemd is told too.
    /// Refused, as by dbus-daemon, to anyone but root and the bus's own user (it decides
    /// what every service runs with) and on a bus with a setuid service helper.
    private func updateActivationEnvironment(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "a{ss}")
        try requirePrivilegedCaller(call)
        if config.serviceHelper != nil {
            throw DriverError(name: Broker.accessDeniedError, message: "Cannot change activation environment on a system bus.")
        }
        var assignments: [String] = []
        if case .dictionary(_, _, let entries) = call.message.body[0] {
            for entry in entries {
                if case .string(let key) = entry.key, case .string(let value) = entry.value {
                    activationEnvironment[key] = value
                    assignments.append("\(key)=\(value)")
                }
            }
        }
        if activation.usesSystemd { try forwardEnvironmentToSystemd(assignments) }
        return DriverAnswer()
    }

    /// dbus-daemon's `bus_driver_check_caller_is_privileged`: root or the bus's own uid.
    private func requirePrivilegedCaller(_ call: DriverCall) throws(DriverError) {
        let process = call.peer.identity.process
        if process.userID == 0 || process.userID == ProcessControl.effectiveUserID { return }
        let logInfo = AccessDeniedText.logInfo(
            uid: UInt32(process.userID), pid: Int32(process.processID),
            command: Broker.commandLine(of: Int32(process.processID)), securityLabel: call.peer.identity.securityLabel)
        let text = "rejected attempt to call \(call.member) by connection \(call.caller.uniqueName) (\(logInfo)) with uid \(process.userID)"
        logger.warning("\(text)")
        throw DriverError(name: Broker.accessDeniedError, message: text)
    }
}
