// Name Registry: ReleaseName, disconnects, reserved names, quota
import Testing
@testable import BusBroker

private let a = PeerID(1), b = PeerID(2), c = PeerID(3)

private func registry(maxNamesPerPeer: Int = NameLimits.sessionMaxNamesPerPeer) -> NameRegistry {
    var registry = NameRegistry(maxNamesPerPeer: maxNamesPerPeer)
    for peer in [a, b, c] { _ = registry.addPeer(peer) }
    return registry
}

private let name = "com.example.Name"

@Suite struct NameRegistryReleaseTests {
    @Test func releaseOfUnknownNameIsNonExistent() throws {
        var names = registry()
        #expect(try names.releaseName(name, by: a) == NameOutcome(reply: .nonExistent, events: []))
    }

    @Test func releaseByStrangerIsNotOwner() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        #expect(try names.releaseName(name, by: b) == NameOutcome(reply: .notOwner, events: []))
        #expect(names.owner(of: name) == a)
    }

    @Test func releaseByOwnerHandsTheNameToTheNextInLine() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        _ = try names.requestName(name, by: b, flags: [])
        _ = try names.requestName(name, by: c, flags: [])
        let outcome = try names.releaseName(name, by: a)
        #expect(outcome.reply == .released)
        // bus/services.c bus_service_remove_owner: NameLost, NameOwnerChanged, NameAcquired.
        #expect(outcome.events == [
            .lost(name: name, peer: a),
            .ownerChanged(NameOwnerChange(name: name, oldOwner: a, newOwner: b)),
            .acquired(name: name, peer: b),
        ])
        #expect(names.queuedOwners(of: name) == [b, c])
    }

    @Test func releaseByLastOwnerRemovesTheName() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        let outcome = try names.releaseName(name, by: a)
        #expect(outcome.events == [
            .lost(name: name, peer: a),
            .ownerChanged(NameOwnerChange(name: name, oldOwner: a, newOwner: nil)),
        ])
        #expect(names.owner(of: name) == nil)
        #expect(names.queuedOwners(of: name).isEmpty)
        #expect(!names.allNames.contains(name))
        #expect(try names.releaseName(name, by: a).reply == .nonExistent)
    }

    @Test func releaseByQueuedPeerIsSilent() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        _ = try names.requestName(name, by: b, flags: [])
        _ = try names.requestName(name, by: c, flags: [])
        #expect(try names.releaseName(name, by: b) == NameOutcome(reply: .released, events: []))
        #expect(names.queuedOwners(of: name) == [a, c])
        #expect(try names.releaseName(name, by: b).reply == .notOwner)
    }

    /// Observed on dbus-daemon 1.14.10: a disconnecting peer loses its names newest first,
    /// its unique name last (bus/connection.c walks services_owned from the end).
    @Test func disconnectReleasesNewestFirstThenTheUniqueName() throws {
        var names = registry()
        _ = try names.requestName("com.example.X", by: a, flags: [])
        _ = try names.requestName("com.example.Y", by: a, flags: [])
        _ = try names.requestName("com.example.Z", by: b, flags: [])
        _ = try names.requestName("com.example.Z", by: a, flags: [])  // a only queues
        _ = try names.requestName("com.example.X", by: b, flags: [])  // b waits for X
        _ = try names.requestName("com.example.W", by: a, flags: [])

        let events = names.releaseAll(of: a)
        #expect(events == [
            .lost(name: "com.example.W", peer: a),
            .ownerChanged(NameOwnerChange(name: "com.example.W", oldOwner: a, newOwner: nil)),
            .lost(name: "com.example.Y", peer: a),
            .ownerChanged(NameOwnerChange(name: "com.example.Y", oldOwner: a, newOwner: nil)),
            .lost(name: "com.example.X", peer: a),
            .ownerChanged(NameOwnerChange(name: "com.example.X", oldOwner: a, newOwner: b)),
            .acquired(name: "com.example.X", peer: b),
            .lost(name: ":1.1", peer: a),
            .ownerChanged(NameOwnerChange(name: ":1.1", oldOwner: a, newOwner: nil)),
        ])
        #expect(names.owner(of: "com.example.X") == b)
        #expect(names.queuedOwners(of: "com.example.Z") == [b])
        #expect(names.owner(of: ":1.1") == nil)
        #expect(names.nameCount(of: a) == 0)
        #expect(names.releaseAll(of: a).isEmpty)
    }

    @Test func helloRegistersTheUniqueName() {
        var names = NameRegistry()
        let events = names.addPeer(PeerID(7))
        #expect(events == [
            .ownerChanged(NameOwnerChange(name: ":1.7", oldOwner: nil, newOwner: PeerID(7))),
            .acquired(name: ":1.7", peer: PeerID(7)),
        ])
        #expect(names.owner(of: ":1.7") == PeerID(7))
        #expect(names.queuedOwners(of: ":1.7") == [PeerID(7)])
        #expect(names.nameCount(of: PeerID(7)) == 1)
    }

    @Test func listsNamesAndOwnedNames() throws {
        var names = registry()
        _ = try names.requestName("com.example.B", by: a, flags: [])
        _ = try names.requestName("com.example.A", by: a, flags: [])
        _ = try names.requestName("com.example.C", by: b, flags: [])
        _ = try names.requestName("com.example.C", by: a, flags: [])
        #expect(names.allNames == [":1.1", ":1.2", ":1.3", "com.example.A", "com.example.B", "com.example.C"])
        #expect(names.names(ownedBy: a) == ["com.example.B", "com.example.A"])
        #expect(names.names(ownedBy: b) == ["com.example.C"])
        #expect(names.names(ownedBy: c).isEmpty)
    }

    // MARK: - Reserved names

    @Test(arguments: [":1.9", ":x"])
    func uniqueNamesCannotBeRequestedOrReleased(unique: String) throws {
        var names = registry()
        #expect(throws: NameRegistryError.requestedUniqueName(unique)) { try names.requestName(unique, by: a, flags: []) }
        #expect(throws: NameRegistryError.releasedUniqueName(unique)) { try names.releaseName(unique, by: a) }
        #expect(NameRegistryError.requestedUniqueName(unique).dbusErrorName == "org.freedesktop.DBus.Error.InvalidArgs")
        // Texts as dbus-daemon 1.14.10 sent them to a python-dbus client.
        #expect(NameRegistryError.requestedUniqueName(unique).message == "Cannot acquire a service starting with ':' such as \"\(unique)\"")
        #expect(NameRegistryError.releasedUniqueName(unique).message == "Cannot release a service starting with ':' such as \"\(unique)\"")
    }

    @Test func theBusNameCannotBeRequestedOrReleased() throws {
        var names = registry()
        let request = #expect(throws: NameRegistryError.self) { try names.requestName("org.freedesktop.DBus", by: c, flags: [.replaceExisting]) }
        #expect(request == .requestedBusName(peer: c))
        #expect(request?.dbusErrorName == "org.freedesktop.DBus.Error.InvalidArgs")
        #expect(request?.message == "Connection \":1.3\" is not allowed to own the service \"org.freedesktop.DBus\"because it is reserved for D-Bus' use only")

        let release = #expect(throws: NameRegistryError.self) { try names.releaseName("org.freedesktop.DBus", by: c) }
        #expect(release == .releasedBusName)
        #expect(release?.message == "Cannot release the org.freedesktop.DBus service because it is owned by the bus")
        #expect(names.owner(of: "org.freedesktop.DBus") == nil)
    }

    @Test func reservationCanBeCheckedAheadOfPolicy() {
        #expect(NameRegistry.reservationError(requesting: "org.freedesktop.DBus", by: a) == .requestedBusName(peer: a))
        #expect(NameRegistry.reservationError(requesting: ":1.2", by: a) == .requestedUniqueName(":1.2"))
        #expect(NameRegistry.reservationError(requesting: "org.freedesktop.DBus.Sub", by: a) == nil)
    }

    // MARK: - Quota

    /// Observed on dbus-daemon 1.14.10 with max_names_per_connection=3: unique name, one
    /// queued and one owned name fill the quota; the next request, even for a name already
    /// held, fails until one is released.
    @Test func quotaCountsUniqueNameAndQueuedNames() throws {
        var names = registry(maxNamesPerPeer: 3)
        _ = try names.requestName("com.example.L1", by: b, flags: [])
        #expect(try names.requestName("com.example.L1", by: a, flags: []).reply == .inQueue)
        #expect(try names.requestName("com.example.L2", by: a, flags: []).reply == .primaryOwner)

        let error = #expect(throws: NameRegistryError.self) { try names.requestName("com.example.L3", by: a, flags: []) }
        #expect(error == .quotaExceeded(peer: a, limit: 3))
        #expect(error?.dbusErrorName == "org.freedesktop.DBus.Error.LimitsExceeded")
        #expect(error?.message == "Connection \":1.1\" is not allowed to own more services (increase limits in configuration file if required; max_names_per_connection=3)")
        #expect(throws: NameRegistryError.quotaExceeded(peer: a, limit: 3)) { try names.requestName("com.example.L1", by: a, flags: []) }
        #expect(names.owner(of: "com.example.L3") == nil)

        _ = try names.releaseName("com.example.L1", by: a)
        #expect(try names.requestName("com.example.L3", by: a, flags: []).reply == .primaryOwner)
    }
}
