// Name Registry
/// Who owns which bus name, and who waits for it: the rules of `RequestName`,
/// `ReleaseName` and disconnection, as dbus-daemon 1.14 implements them in bus/services.c
/// (`bus_registry_acquire_service`, `bus_registry_release_service`) and
/// bus/connection.c (`bus_connection_disconnected`).
///
/// Pure state: every operation returns the reply and the signals (`NameEvent`) the driver
/// must send, in order, before that reply. Unique names live here too, so that
/// `owner(of:)`, `queuedOwners(of:)` and `allNames` answer for them as `GetNameOwner`,
/// `ListQueuedOwners` and `ListNames` expect. Whether a name is well-formed is the
/// driver's check (`NameValidation`); what only the bus may own is checked here.
///
/// Cost: O(1) per request and release (hash lookups plus an O(1) queue), O(k log k) to
/// release the k names of a disconnecting peer, O(n log n) for `allNames`.
public struct NameRegistry: Sendable {
    /// How many names one peer may hold, counting its unique name and every queue it waits
    /// in, as dbus-daemon counts `max_names_per_connection` (observed on 1.14.10 with a limit
    /// of 3: unique name + one queued + one owned, and the next request fails).
    public let maxNamesPerPeer: Int

    private var queues: [String: OwnerQueue] = [:]
    private var holdings: [PeerID: PeerHoldings] = [:]
    private var nextEntryNumber: UInt64 = 0

    /// What one peer holds. The entry numbers record when it joined each queue, because
    /// dbus-daemon releases a departing peer's names newest first.
    private struct PeerHoldings {
        var hasUniqueName = false
        var entries: [String: UInt64] = [:]
        var count: Int { entries.count + (hasUniqueName ? 1 : 0) }
    }

    public init(maxNamesPerPeer: Int = NameLimits.sessionMaxNamesPerPeer) {
        self.maxNamesPerPeer = maxNamesPerPeer
    }

    // MARK: - Peers

    /// Registers `peer`'s unique name on `Hello`. dbus-daemon sends the `Hello` reply first,
    /// then these two signals (observed on 1.14.10).
    public mutating func addPeer(_ peer: PeerID) -> [NameEvent] {
        let name = peer.uniqueName
        precondition(queues[name] == nil, "peer \(name) registered twice")
        queues[name] = OwnerQueue(owner: peer, flags: [])
        holdings[peer, default: PeerHoldings()].hasUniqueName = true
        return [.ownerChanged(NameOwnerChange(name: name, oldOwner: nil, newOwner: peer)), .acquired(name: name, peer: peer)]
    }

    /// Drops everything `peer` holds when it disconnects: its well-known names and queue
    /// places newest first, then its unique name (bus/connection.c walks `services_owned`
    /// from its last entry; observed on 1.14.10). Each name it owned goes to the next in
    /// line. The `NameLost` events addressed to `peer` itself are included, as dbus-daemon
    /// emits them; the driver drops them with the connection.
    public mutating func releaseAll(of peer: PeerID) -> [NameEvent] {
        guard let held = holdings[peer] else { return [] }
        var events: [NameEvent] = []
        for (name, _) in held.entries.sorted(by: { $0.value > $1.value }) {
            if let slot = queues.index(forKey: name) { events += removeOwner(peer, at: slot) }
        }
        if held.hasUniqueName {
            let name = peer.uniqueName
            queues[name] = nil
            events.append(.lost(name: name, peer: peer))
            events.append(.ownerChanged(NameOwnerChange(name: name, oldOwner: peer, newOwner: nil)))
        }
        holdings[peer] = nil
        return events
    }

    // MARK: - RequestName and ReleaseName

    /// `RequestName`: the decision table of dbus-daemon's `bus_registry_acquire_service`.
    public mutating func requestName(
        _ name: String, by peer: PeerID, flags: RequestNameFlags
    ) throws(NameRegistryError) -> NameOutcome<RequestNameResult> {
        if let refusal = Self.reservationError(requesting: name, by: peer) { throw refusal }
        // Checked before looking at the name, so even a re-request by the owner fails at the limit.
        if nameCount(of: peer) >= maxNamesPerPeer { throw .quotaExceeded(peer: peer, limit: maxNamesPerPeer) }

        // One hash of the name per request: the queue is reached through its index from here on.
        guard let slot = queues.index(forKey: name), let primary = queues.values[slot].head else {
            queues[name] = OwnerQueue(owner: peer, flags: flags)
            enter(peer, into: name)
            let events: [NameEvent] = [
                .ownerChanged(NameOwnerChange(name: name, oldOwner: nil, newOwner: peer)),
                .acquired(name: name, peer: peer),
            ]
            return NameOutcome(reply: .primaryOwner, events: events)
        }
        if primary == peer {
            queues.values[slot].setFlags(flags, of: peer)
            return NameOutcome(reply: .alreadyOwner, events: [])
        }
        let primaryFlags = queues.values[slot].flags(of: primary) ?? []
        let replaces = flags.contains(.replaceExisting) && primaryFlags.contains(.allowReplacement)
        if !replaces {
            if flags.contains(.doNotQueue) {
                // A peer that will not queue leaves the queue it was already in.
                if queues.values[slot].contains(peer) { queues.values[slot].remove(peer); leave(peer, from: name) }
                return NameOutcome(reply: .exists, events: [])
            }
            enqueue(peer, at: slot, flags: flags)
            return NameOutcome(reply: .inQueue, events: [])
        }
        // The new owner goes second in line, then the old one steps down: dbus-daemon does the
        // same, so the signals are those of an ordinary hand-over to the next in line.
        enqueue(peer, at: slot, flags: flags)
        if primaryFlags.contains(.doNotQueue) {
            return NameOutcome(reply: .primaryOwner, events: removeOwner(primary, at: slot))
        }
        queues.values[slot].moveBehindHead(primary, flags: primaryFlags)
        return NameOutcome(reply: .primaryOwner, events: handOver(name, from: primary, to: peer))
    }

    /// Why `peer` may never own `name`, or nil. dbus-daemon checks this before its
    /// ownership policy and the policy before the quota, so a driver that applies policy
    /// calls this first, then the policy, then `requestName` (which repeats this check).
    public static func reservationError(requesting name: String, by peer: PeerID) -> NameRegistryError? {
        if name.utf8.first == UInt8(ascii: ":") { return .requestedUniqueName(name) }
        if name == NameLimits.busName { return .requestedBusName(peer: peer) }
        return nil
    }

    /// `ReleaseName`: leaves the name's queue, handing the name on if `peer` owned it.
    public mutating func releaseName(
        _ name: String, by peer: PeerID
    ) throws(NameRegistryError) -> NameOutcome<ReleaseNameResult> {
        if name.utf8.first == UInt8(ascii: ":") { throw .releasedUniqueName(name) }
        if name == NameLimits.busName { throw .releasedBusName }
        guard let slot = queues.index(forKey: name) else { return NameOutcome(reply: .nonExistent, events: []) }
        guard queues.values[slot].contains(peer) else { return NameOutcome(reply: .notOwner, events: []) }
        return NameOutcome(reply: .released, events: removeOwner(peer, at: slot))
    }

    // MARK: - Queries

    /// The primary owner of `name` (well-known or unique), if any.
    public func owner(of name: String) -> PeerID? { queues[name]?.head }

    /// The owner of `name` then its queue, in line order, as `ListQueuedOwners` lists them;
    /// empty when the name has no owner.
    public func queuedOwners(of name: String) -> [PeerID] { queues[name]?.peers ?? [] }

    /// The well-known names `peer` is primary owner of, in the order it joined their queues.
    public func names(ownedBy peer: PeerID) -> [String] {
        guard let held = holdings[peer] else { return [] }
        return held.entries.sorted { $0.value < $1.value }.map(\.key).filter { queues[$0]?.head == peer }
    }

    /// Whether `peer` owns or waits in the queue for `name`, or has it as its unique name:
    /// what `send_destination` and `receive_sender` policy rules ask. One hash lookup.
    public func holdsOrQueues(_ name: String, peer: PeerID) -> Bool {
        if name.utf8.first == UInt8(ascii: ":") { return queues[name]?.head == peer }
        return holdings[peer]?.entries[name] != nil
    }

    /// Whether `peer` owns or queues for `prefix` or a name below it (`send_destination_prefix`).
    public func holdsOrQueues(namesUnder prefix: String, peer: PeerID) -> Bool {
        guard let held = holdings[peer] else { return false }
        return held.entries.keys.contains { PolicyWords.isName($0, underPrefix: prefix) }
    }

    /// How many names `peer` holds against `maxNamesPerPeer`.
    public func nameCount(of peer: PeerID) -> Int { holdings[peer]?.count ?? 0 }

    /// Every name with an owner, unique names included, sorted; `ListNames` adds
    /// `org.freedesktop.DBus` itself.
    public var allNames: [String] { queues.keys.sorted() }

    // MARK: - Queue changes

    /// Adds `peer` to the queue at `slot` the way dbus-daemon's `bus_service_add_owner`
    /// does: with `replaceExisting` it goes (or moves) right behind the owner, otherwise to
    /// the end; either way its flags become those of this request.
    private mutating func enqueue(_ peer: PeerID, at slot: Dictionary<String, OwnerQueue>.Index, flags: RequestNameFlags) {
        let isNew = !queues.values[slot].contains(peer)
        if flags.contains(.replaceExisting) {
            queues.values[slot].moveBehindHead(peer, flags: flags)
        } else if isNew {
            queues.values[slot].append(peer, flags: flags)
        } else {
            queues.values[slot].setFlags(flags, of: peer)
        }
        if isNew { enter(peer, into: queues.keys[slot]) }
    }

    /// Takes `peer` out of the queue at `slot`; if it owned the name, the next in line gets
    /// it (bus/services.c `bus_service_remove_owner`). The index is spent afterwards.
    private mutating func removeOwner(_ peer: PeerID, at slot: Dictionary<String, OwnerQueue>.Index) -> [NameEvent] {
        let name = queues.keys[slot]
        guard queues.values[slot].contains(peer) else { return [] }
        let head = queues.values[slot].head
        let events = head == peer ? handOver(name, from: peer, to: queues.values[slot].second) : []
        queues.values[slot].remove(peer)
        if queues.values[slot].isEmpty { queues.remove(at: slot) }
        leave(peer, from: name)
        return events
    }

    /// The signals of an ownership change, in dbus-daemon's order (bus/services.c,
    /// `bus_service_swap_owner` and `bus_service_remove_owner`): NameLost to the old owner,
    /// NameOwnerChanged, NameAcquired to the new owner.
    private func handOver(_ name: String, from old: PeerID, to new: PeerID?) -> [NameEvent] {
        var events: [NameEvent] = [
            .lost(name: name, peer: old),
            .ownerChanged(NameOwnerChange(name: name, oldOwner: old, newOwner: new)),
        ]
        if let new { events.append(.acquired(name: name, peer: new)) }
        return events
    }

    private mutating func enter(_ peer: PeerID, into name: String) {
        holdings[peer, default: PeerHoldings()].entries[name] = nextEntryNumber
        nextEntryNumber += 1
    }

    private mutating func leave(_ peer: PeerID, from name: String) {
        holdings[peer]?.entries[name] = nil
        if holdings[peer]?.count == 0 { holdings[peer] = nil }
    }
}
