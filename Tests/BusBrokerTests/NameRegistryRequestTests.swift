// Name Registry: RequestName
import Testing
@testable import BusBroker

/// Peers :1.1, :1.2, :1.3, registered as `Hello` would.
private let a = PeerID(1), b = PeerID(2), c = PeerID(3)

private func registry(maxNamesPerPeer: Int = NameLimits.sessionMaxNamesPerPeer) -> NameRegistry {
    var registry = NameRegistry(maxNamesPerPeer: maxNamesPerPeer)
    for peer in [a, b, c] { _ = registry.addPeer(peer) }
    return registry
}

private let name = "com.example.Name"

@Suite struct NameRegistryRequestTests {
    @Test func firstRequestOwnsTheNameAndAnnouncesIt() throws {
        var names = registry()
        let outcome = try names.requestName(name, by: a, flags: [])
        #expect(outcome.reply == .primaryOwner)
        // bus/services.c bus_registry_ensure: NameOwnerChanged("", a) before add_owner's NameAcquired;
        // observed the same order on dbus-daemon 1.14.10 with dbus-monitor.
        #expect(outcome.events == [
            .ownerChanged(NameOwnerChange(name: name, oldOwner: nil, newOwner: a)),
            .acquired(name: name, peer: a),
        ])
        #expect(names.owner(of: name) == a)
        #expect(names.queuedOwners(of: name) == [a])
    }

    /// Owner `a` (with or without ALLOW_REPLACEMENT), `c` already queued, then `b` asks with
    /// every combination of flags. Expected replies and queues follow the decision table of
    /// bus/services.c bus_registry_acquire_service (lines 536-603 at dbus master da0db31) and
    /// bus_service_add_owner's placement of REPLACE_EXISTING requests right behind the owner;
    /// all 16 rows, replies and ListQueuedOwners alike, match dbus-daemon 1.14.10 driven by python-dbus.
    @Test(arguments: RequestNameCase.all)
    func everyFlagCombinationAgainstAnOwner(_ row: RequestNameCase) throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: row.ownerAllowsReplacement ? [.allowReplacement] : [])
        #expect(try names.requestName(name, by: c, flags: []).reply == .inQueue)

        let outcome = try names.requestName(name, by: b, flags: row.flags)
        #expect(outcome.reply == row.expected)
        #expect(names.queuedOwners(of: name) == row.queue)
        if row.expected == .primaryOwner {
            // bus_service_swap_owner: NameLost to the old owner, NameOwnerChanged, NameAcquired to the new.
            #expect(outcome.events == [
                .lost(name: name, peer: a),
                .ownerChanged(NameOwnerChange(name: name, oldOwner: a, newOwner: b)),
                .acquired(name: name, peer: b),
            ])
        } else {
            #expect(outcome.events.isEmpty)
        }
    }

    @Test func replacedOwnerWithDoNotQueueLeavesTheQueue() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [.allowReplacement, .doNotQueue])
        _ = try names.requestName(name, by: c, flags: [])
        let outcome = try names.requestName(name, by: b, flags: [.replaceExisting])
        #expect(outcome.reply == .primaryOwner)
        // bus/services.c: an owner with DO_NOT_QUEUE goes through bus_service_remove_owner, same signals.
        #expect(outcome.events == [
            .lost(name: name, peer: a),
            .ownerChanged(NameOwnerChange(name: name, oldOwner: a, newOwner: b)),
            .acquired(name: name, peer: b),
        ])
        #expect(names.queuedOwners(of: name) == [b, c])
        #expect(names.nameCount(of: a) == 1)  // only its unique name is left
    }

    @Test func ownerReRequestingUpdatesItsFlags() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        let again = try names.requestName(name, by: a, flags: [.allowReplacement])
        #expect(again == NameOutcome(reply: .alreadyOwner, events: []))
        #expect(try names.requestName(name, by: b, flags: [.replaceExisting]).reply == .primaryOwner)

        // And back: an owner that withdraws ALLOW_REPLACEMENT can no longer be replaced.
        _ = try names.requestName(name, by: b, flags: [])
        #expect(try names.requestName(name, by: c, flags: [.replaceExisting, .doNotQueue]).reply == .exists)
        #expect(names.owner(of: name) == b)
    }

    @Test func queuedPeerAskingDoNotQueueLeavesTheQueue() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        _ = try names.requestName(name, by: b, flags: [])
        #expect(names.nameCount(of: b) == 2)
        let outcome = try names.requestName(name, by: b, flags: [.doNotQueue])
        #expect(outcome == NameOutcome(reply: .exists, events: []))
        #expect(names.queuedOwners(of: name) == [a])
        #expect(names.nameCount(of: b) == 1)
    }

    @Test func queuedPeerKeepsItsPlaceAndTakesNewFlags() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        _ = try names.requestName(name, by: b, flags: [])
        _ = try names.requestName(name, by: c, flags: [])
        #expect(try names.requestName(name, by: b, flags: [.allowReplacement]).reply == .inQueue)
        #expect(names.queuedOwners(of: name) == [a, b, c])

        // b's latest flags apply once it owns the name: c may now replace it.
        _ = try names.releaseName(name, by: a)
        #expect(names.owner(of: name) == b)
        #expect(try names.requestName(name, by: c, flags: [.replaceExisting]).reply == .primaryOwner)
        #expect(names.queuedOwners(of: name) == [c, b])
    }

    /// Observed on dbus-daemon 1.14.10: a queued peer asking REPLACE_EXISTING of an owner
    /// that does not allow it stays queued but moves to the front of the queue.
    @Test func queuedPeerAskingReplaceOfUnreplaceableOwnerJumpsTheQueue() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [])
        _ = try names.requestName(name, by: b, flags: [])
        _ = try names.requestName(name, by: c, flags: [])
        #expect(try names.requestName(name, by: c, flags: [.replaceExisting]) == NameOutcome(reply: .inQueue, events: []))
        #expect(names.queuedOwners(of: name) == [a, c, b])
    }

    @Test func queuedPeerReplacingMovesFromTheBackToOwner() throws {
        var names = registry()
        _ = try names.requestName(name, by: a, flags: [.allowReplacement])
        _ = try names.requestName(name, by: b, flags: [])
        _ = try names.requestName(name, by: c, flags: [])
        let outcome = try names.requestName(name, by: c, flags: [.replaceExisting])
        #expect(outcome.reply == .primaryOwner)
        #expect(names.queuedOwners(of: name) == [c, a, b])
        #expect(names.nameCount(of: c) == 2)  // moved, not counted twice
    }
}

/// One row of the RequestName decision table.
struct RequestNameCase: Sendable, CustomTestStringConvertible {
    let flags: RequestNameFlags
    let ownerAllowsReplacement: Bool
    let expected: RequestNameResult
    let queue: [PeerID]

    var testDescription: String { "flags \(flags.rawValue), owner allows replacement: \(ownerAllowsReplacement)" }

    static let all: [RequestNameCase] = [
        RequestNameCase(flags: [], ownerAllowsReplacement: false, expected: .inQueue, queue: [a, c, b]),
        RequestNameCase(flags: [.allowReplacement], ownerAllowsReplacement: false, expected: .inQueue, queue: [a, c, b]),
        RequestNameCase(flags: [.replaceExisting], ownerAllowsReplacement: false, expected: .inQueue, queue: [a, b, c]),
        RequestNameCase(flags: [.replaceExisting, .allowReplacement], ownerAllowsReplacement: false, expected: .inQueue, queue: [a, b, c]),
        RequestNameCase(flags: [.doNotQueue], ownerAllowsReplacement: false, expected: .exists, queue: [a, c]),
        RequestNameCase(flags: [.doNotQueue, .allowReplacement], ownerAllowsReplacement: false, expected: .exists, queue: [a, c]),
        RequestNameCase(flags: [.doNotQueue, .replaceExisting], ownerAllowsReplacement: false, expected: .exists, queue: [a, c]),
        RequestNameCase(flags: [.doNotQueue, .replaceExisting, .allowReplacement], ownerAllowsReplacement: false, expected: .exists, queue: [a, c]),
        RequestNameCase(flags: [], ownerAllowsReplacement: true, expected: .inQueue, queue: [a, c, b]),
        RequestNameCase(flags: [.allowReplacement], ownerAllowsReplacement: true, expected: .inQueue, queue: [a, c, b]),
        RequestNameCase(flags: [.replaceExisting], ownerAllowsReplacement: true, expected: .primaryOwner, queue: [b, a, c]),
        RequestNameCase(flags: [.replaceExisting, .allowReplacement], ownerAllowsReplacement: true, expected: .primaryOwner, queue: [b, a, c]),
        RequestNameCase(flags: [.doNotQueue], ownerAllowsReplacement: true, expected: .exists, queue: [a, c]),
        RequestNameCase(flags: [.doNotQueue, .allowReplacement], ownerAllowsReplacement: true, expected: .exists, queue: [a, c]),
        RequestNameCase(flags: [.doNotQueue, .replaceExisting], ownerAllowsReplacement: true, expected: .primaryOwner, queue: [b, a, c]),
        RequestNameCase(flags: [.doNotQueue, .replaceExisting, .allowReplacement], ownerAllowsReplacement: true, expected: .primaryOwner, queue: [b, a, c]),
    ]
}
