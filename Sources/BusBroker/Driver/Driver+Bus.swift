// Driver Bus Methods
//
// The methods of the `org.freedesktop.DBus` interface, dispatched by name.
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
            return DriverAnswer(body: [Self.strings([Broker.driverName])])
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

    // MARK: - Activation (none yet)

    private func startServiceByName(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "su")
        let name = stringArgument(call, 0)
        // DBUS_START_REPLY_ALREADY_RUNNING
        // The driver's own name is not "running" for dbus-daemon: it has no .service file.
        if name != Broker.driverName && registry.owner(of: name) != nil { return DriverAnswer(body: [.uint32(2)]) }
        throw .serviceUnknown(name)
    }

    private func updateActivationEnvironment(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        try expect(call, "a{ss}")
        if case .dictionary(_, _, let entries) = call.message.body[0] {
            for entry in entries {
                if case .string(let key) = entry.key, case .string(let value) = entry.value { activationEnvironment[key] = value }
            }
        }
        return DriverAnswer()
    }
}
