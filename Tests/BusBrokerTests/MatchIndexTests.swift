// Match Index: dbus-daemon 1.14's delivery semantics, limits and removal
import Testing
import DBusWire
@testable import BusBroker

@Suite struct MatchIndexTests {
    let a = PeerID(1), b = PeerID(2), c = PeerID(3), d = PeerID(4)

    func signal(
        interface: String = "org.example.Iface", member: String = "Changed", path: String = "/org/example/obj",
        destination: String? = nil, body: [DBusValue] = []
    ) throws -> EncodedMessage {
        try EncodedMessage(.signal(path: path, interface: interface, member: member, destination: destination, body: body))
    }

    func call(destination: String, member: String = "Frob") throws -> EncodedMessage {
        try EncodedMessage(.methodCall(path: "/org/example/obj", interface: "org.example.Iface", member: member,
                                       destination: destination))
    }

    // MARK: - Broadcasts

    @Test func broadcastReachesPeersWhoseRulesMatch() throws {
        var index = MatchIndex()
        try index.add(rule("type='signal',interface='org.example.Iface'"), owner: c)
        try index.add(rule("member='Changed'"), owner: a)
        try index.add(rule("member='Other'"), owner: b)
        try index.add(rule("path='/org/example/obj',member='Changed'"), owner: d)
        #expect(index.recipients(of: try signal(), sender: b) == [a, c, d])
        #expect(index.recipients(of: try signal(member: "Other"), sender: b) == [b, c])
        #expect(index.recipients(of: try signal(interface: "org.example.Else", member: "X"), sender: b) == [])
    }

    @Test func eachPeerOnceInAscendingOrder() throws {
        var index = MatchIndex()
        for owner in [d, c, b, a] {
            try index.add(rule(""), owner: owner)
            try index.add(rule("member='Changed'"), owner: owner)
            try index.add(rule("type='signal'"), owner: owner)
        }
        let (found, cost) = index.recipientsAndCost(of: try signal(), sender: a)
        #expect(found == [a, b, c, d])
        // Once a peer has matched, its other rules are not evaluated.
        #expect(cost.candidatesEvaluated == 4)
    }

    @Test func matchRuleArgumentsAreChecked() throws {
        var index = MatchIndex()
        try index.add(rule("arg0='org.example.Name'"), owner: a)
        try index.add(rule("arg0namespace='org.example'"), owner: b)
        try index.add(rule("arg1path='/org/'"), owner: c)
        try index.add(rule("arg0='org.example.Name',arg1='x'"), owner: d)
        let message = try signal(body: [.string("org.example.Name"), .objectPath("/org/example")])
        #expect(index.recipients(of: message, sender: a) == [a, b, c])
        // An object path never satisfies argN (only argNpath), so it also takes no arg0 bucket.
        let path = try signal(body: [.objectPath("/org/example/Name")])
        #expect(index.recipients(of: path, sender: a) == [])
    }

    // MARK: - Addressed messages and eavesdropping

    @Test func onlyEavesdroppersSeeMessagesAddressedToOthers() throws {
        var index = MatchIndex()
        try index.add(rule("interface='org.example.Iface'"), owner: a)
        try index.add(rule("interface='org.example.Iface',eavesdrop='true'"), owner: c)
        try index.add(rule("eavesdrop='true'"), owner: d)
        let message = try call(destination: b.uniqueName)
        #expect(index.recipients(of: message, sender: a, destination: b) == [c, d])
        // Broadcasts reach eavesdroppers and everyone else alike.
        #expect(index.recipients(of: try signal(), sender: a) == [a, c, d])
    }

    @Test func theAddressedRecipientIsNeverListed() throws {
        var index = MatchIndex()
        try index.add(rule("eavesdrop='true'"), owner: b)
        try index.add(rule("member='Frob'"), owner: b)
        let (found, cost) = index.recipientsAndCost(of: try call(destination: b.uniqueName), sender: a, destination: b)
        #expect(found == [])
        #expect(cost.candidatesEvaluated == 0)
        // Its rules still see broadcasts and messages addressed to others.
        #expect(index.recipients(of: try call(destination: c.uniqueName), sender: a, destination: c) == [b])
    }

    @Test func destinationMatchesThePrimaryOwnerOfTheName() throws {
        var index = MatchIndex()
        index.nameOwnerChanged("org.example.Service", newOwner: b)
        try index.add(rule("destination='org.example.Service',eavesdrop='true'"), owner: c)
        try index.add(rule("destination=':1.2',eavesdrop='true'"), owner: d)
        // Addressed by unique name or by the well-known name: both rules see it.
        #expect(index.recipients(of: try call(destination: b.uniqueName), sender: a, destination: b) == [c, d])
        #expect(index.recipients(of: try call(destination: "org.example.Service"), sender: a, destination: b) == [c, d])
        #expect(index.recipients(of: try call(destination: a.uniqueName), sender: b, destination: a) == [])
        // A broadcast has no destination, so destination rules never see it.
        #expect(index.recipients(of: try signal(), sender: b) == [])
        index.nameOwnerChanged("org.example.Service", newOwner: a)
        #expect(index.recipients(of: try call(destination: a.uniqueName), sender: b, destination: a) == [c])
        #expect(index.recipients(of: try call(destination: b.uniqueName), sender: a, destination: b) == [d])
    }

    @Test func destinationWithoutEavesdropNeverMatches() throws {
        var index = MatchIndex(maxMatchRulesPerPeer: 1)
        try index.add(rule("destination=':1.2'"), owner: c)
        #expect(index.recipients(of: try call(destination: b.uniqueName), sender: a, destination: b) == [])
        #expect(index.recipients(of: try signal(), sender: a) == [])
        // It still counts and can be removed.
        #expect(index.ruleCount(owner: c) == 1)
        #expect(throws: MatchIndexError.tooManyRules(peer: c, limit: 1)) { try index.add(rule(""), owner: c) }
        #expect(removeOne(&index, rule("destination=':1.2'"), owner: c))
        #expect(index.ruleCount(owner: c) == 0)
    }

    /// Without a recipient peer (a call to the driver, or to a name waiting for activation),
    /// dbus-daemon compares the rule's destination with the message's text.
    @Test func destinationWithoutRecipientPeerComparesText() throws {
        var index = MatchIndex()
        try index.add(rule("destination='org.freedesktop.DBus',eavesdrop='true'"), owner: c)
        try index.add(rule("destination='org.example.Later',eavesdrop='true'"), owner: d)
        #expect(index.recipients(of: try call(destination: "org.freedesktop.DBus"), sender: a, destination: nil) == [c])
        #expect(index.recipients(of: try call(destination: "org.example.Later"), sender: a, destination: nil) == [d])
        #expect(index.recipients(of: try call(destination: "org.example.Other"), sender: a, destination: nil) == [])
    }

    // MARK: - Senders

    @Test func senderMatchesThePrimaryOwnerAsOwnershipChanges() throws {
        var index = MatchIndex()
        try index.add(rule("sender='org.example.Service'"), owner: d)
        #expect(index.recipients(of: try signal(), sender: a) == [], "nobody owns the name yet")
        index.nameOwnerChanged("org.example.Service", newOwner: a)
        #expect(index.recipients(of: try signal(), sender: a) == [d])
        #expect(index.recipients(of: try signal(), sender: b) == [])
        index.nameOwnerChanged(NameOwnerChange(name: "org.example.Service", oldOwner: a, newOwner: b))
        #expect(index.recipients(of: try signal(), sender: a) == [])
        #expect(index.recipients(of: try signal(), sender: b) == [d])
        // A rule added while the name is owned is filed under the owner at once.
        try index.add(rule("sender='org.example.Service',member='Changed'"), owner: c)
        #expect(index.recipients(of: try signal(), sender: b) == [c, d])
        index.nameOwnerChanged("org.example.Service", newOwner: nil)
        #expect(index.recipients(of: try signal(), sender: b) == [])
    }

    @Test func senderByUniqueNameAndTheBusDriver() throws {
        var index = MatchIndex()
        try index.add(rule("sender=':1.1'"), owner: c)
        try index.add(rule("sender='org.freedesktop.DBus'"), owner: d)
        try index.add(rule("sender=':1.01'"), owner: b)
        #expect(index.recipients(of: try signal(), sender: a) == [c])
        #expect(index.recipients(of: try signal(), sender: b) == [])
        // nil sender: the driver sent it (NameOwnerChanged and friends).
        #expect(index.recipients(of: try signal(), sender: nil) == [d])
        // Changes for unique names and the driver's name are not the index's business.
        index.nameOwnerChanged(":1.1", newOwner: b)
        index.nameOwnerChanged("org.freedesktop.DBus", newOwner: b)
        #expect(index.recipients(of: try signal(), sender: b) == [])
        #expect(index.recipients(of: try signal(), sender: nil) == [d])
    }

    @Test func ownershipChangesDoNotDisturbOtherRules() throws {
        var index = MatchIndex()
        try index.add(rule("sender='org.example.One'"), owner: c)
        try index.add(rule("sender='org.example.Two'"), owner: d)
        index.nameOwnerChanged("org.example.One", newOwner: a)
        index.nameOwnerChanged("org.example.Two", newOwner: a)
        #expect(index.recipients(of: try signal(), sender: a) == [c, d])
        index.nameOwnerChanged("org.example.One", newOwner: b)
        #expect(index.recipients(of: try signal(), sender: a) == [d])
        #expect(index.recipients(of: try signal(), sender: b) == [c])
    }

    // MARK: - Limits

    @Test func thePerPeerLimitCountsIdenticalRules() throws {
        var index = MatchIndex(maxMatchRulesPerPeer: 3)
        for _ in 0..<3 { try index.add(rule("member='Changed'"), owner: a) }
        let error = #expect(throws: MatchIndexError.self) { try index.add(rule("member='Other'"), owner: a) }
        #expect(error == .tooManyRules(peer: a, limit: 3))
        #expect(error?.dbusErrorName == "org.freedesktop.DBus.Error.LimitsExceeded")
        #expect(error?.message == "Connection \":1.1\" is not allowed to add more match rules (increase limits in configuration file if required; max_match_rules_per_connection=3)")
        // Other peers have their own allowance; a removal frees one place.
        try index.add(rule("member='Other'"), owner: b)
        #expect(removeOne(&index, rule("member='Changed'"), owner: a))
        try index.add(rule("member='Other'"), owner: a)
        #expect(index.ruleCount(owner: a) == 3)
        #expect(index.totalRuleCount == 4)
    }

    @Test func defaultLimitIsTheSessionBusOne() {
        #expect(MatchIndex().maxMatchRulesPerPeer == 50_000)
        #expect(MatchLimits.systemMaxRulesPerPeer == 512)
    }

    // MARK: - Removal

    @Test func identicalRulesNeedOneRemovalEach() throws {
        var index = MatchIndex()
        try index.add(rule("type='signal',member='Changed'"), owner: a)
        try index.add(rule("member='Changed',type='signal'"), owner: a)
        #expect(index.ruleCount(owner: a) == 2)
        #expect(removeOne(&index, rule("type='signal',member='Changed'"), owner: a))
        #expect(index.recipients(of: try signal(), sender: b) == [a])
        #expect(removeOne(&index, rule("member='Changed',type='signal'"), owner: a))
        #expect(index.recipients(of: try signal(), sender: b) == [])
        #expect(!removeOne(&index, rule("type='signal',member='Changed'"), owner: a))
        #expect(index.ruleCount(owner: a) == 0)
    }

    @Test func removeNeedsTheSameOwnerAndTheSameRule() throws {
        var index = MatchIndex()
        try index.add(rule("member='Changed'"), owner: a)
        #expect(!removeOne(&index, rule("member='Changed'"), owner: b))
        #expect(!removeOne(&index, rule("member='Changed',eavesdrop='true'"), owner: a))
        #expect(!removeOne(&index, rule("member='Changed',type='signal'"), owner: a))
        #expect(index.recipients(of: try signal(), sender: b) == [a])
        let notFound = MatchIndexError.ruleNotFound(peer: a)
        #expect(notFound.dbusErrorName == "org.freedesktop.DBus.Error.MatchRuleNotFound")
        #expect(notFound.message == "The given match rule wasn't found and can't be removed")
    }

    @Test func removeAllClearsOnePeer() throws {
        var index = MatchIndex()
        index.nameOwnerChanged("org.example.Service", newOwner: b)
        for owner in [a, c] {
            try index.add(rule("member='Changed'"), owner: owner)
            try index.add(rule("member='Changed'"), owner: owner)
            try index.add(rule("sender='org.example.Service'"), owner: owner)
            try index.add(rule("eavesdrop='true'"), owner: owner)
        }
        index.removeAll(owner: a)
        #expect(index.ruleCount(owner: a) == 0)
        #expect(index.ruleCount(owner: c) == 4)
        #expect(index.recipients(of: try signal(), sender: b) == [c])
        #expect(!removeOne(&index, rule("member='Changed'"), owner: a))
        index.removeAll(owner: c)
        #expect(index.totalRuleCount == 0)
        // Nothing is left behind: no bucket, no shape to probe, no name bookkeeping.
        #expect(index.bucketsByKey.isEmpty && index.activeShapes.isEmpty && index.rulesByName.isEmpty)
        #expect(index.instances.isEmpty && index.rulesByOwner.isEmpty)
        let (_, cost) = index.recipientsAndCost(of: try signal(), sender: b)
        #expect(cost.bucketsProbed == 0)
    }

    @Test func slotsAreReusedAfterRemoval() throws {
        var index = MatchIndex()
        for round in 0..<3 {
            for member in 0..<100 { try index.add(rule("member='M\(member)'"), owner: a) }
            #expect(index.recipients(of: try signal(member: "M7"), sender: b) == [a], "round \(round)")
            index.removeAll(owner: a)
        }
        #expect(index.rules.count == 100 && index.buckets.count == 100)
    }
}
