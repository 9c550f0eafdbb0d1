// Match Index: the cost of a lookup does not grow with rules that cannot match (counted, not timed)
import Testing
import DBusWire
@testable import BusBroker

@Suite struct MatchIndexScalingTests {
    static let largeRuleCount = 1 << 16
    /// Spread over enough peers to stay under the per-peer limit, as real subscribers would be.
    static let peerCount = 64

    /// Rules of the shapes real clients install, none matching `probe` below: property changes
    /// of other objects, other members, other senders, NameOwnerChanged for other names, and
    /// eavesdroppers on other destinations.
    static func nonMatchingRule(_ number: Int) -> MatchRule {
        switch number % 6 {
        case 0: rule("type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path='/obj/\(number)'")
        case 1: rule("type='signal',interface='org.example.Iface',member='Other\(number)'")
        case 2: rule("type='signal',sender=':1.\(100_000 + number)'")
        case 3: rule("type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.example.N\(number)'")
        case 4: rule("interface='org.example.I\(number)'")
        default: rule("type='signal',destination=':1.\(number)',eavesdrop='true'")
        }
    }

    /// The rules that do match the probes: one per shape above, so the buckets probed are the same.
    static let matchingRules = [
        "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path='/obj/probe'",
        "type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged'",
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.example.Probe'",
        "interface='org.freedesktop.DBus.Properties'",
    ].map(rule)

    static func index(nonMatching count: Int) throws -> MatchIndex {
        var index = MatchIndex()
        for number in 0..<count {
            try index.add(nonMatchingRule(number), owner: PeerID(UInt64(number % peerCount)))
        }
        for (offset, matching) in matchingRules.enumerated() {
            try index.add(matching, owner: PeerID(UInt64(1000 + offset)))
        }
        return index
    }

    static func probes() throws -> [(EncodedMessage, sender: PeerID?)] {
        [
            (try EncodedMessage(.signal(path: "/obj/probe", interface: "org.freedesktop.DBus.Properties",
                                        member: "PropertiesChanged", body: [.string("org.example.Iface")])), PeerID(7)),
            (try EncodedMessage(.signal(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                                        member: "NameOwnerChanged",
                                        body: [.string("org.example.Probe"), .string(""), .string(":1.9")])), nil),
        ]
    }

    @Test func lookupCostIsTheSameWithSixteenOrSixtyFiveThousandRules() throws {
        let small = try Self.index(nonMatching: 16)
        let large = try Self.index(nonMatching: Self.largeRuleCount)
        #expect(large.totalRuleCount == Self.largeRuleCount + Self.matchingRules.count)
        for (message, sender) in try Self.probes() {
            let (smallFound, smallCost) = small.recipientsAndCost(of: message, sender: sender)
            let (largeFound, largeCost) = large.recipientsAndCost(of: message, sender: sender)
            #expect(smallFound == largeFound)
            #expect(!largeFound.isEmpty)
            // Flat: the same buckets and the same candidates, however many rules cannot match.
            #expect(largeCost.bucketsProbed == smallCost.bucketsProbed)
            #expect(largeCost.candidatesEvaluated == smallCost.candidatesEvaluated)
            // Bounded: one probe per shape in use, and only the matching rules evaluated.
            #expect(largeCost.bucketsProbed <= large.activeShapes.count)
            #expect(largeCost.candidatesEvaluated == largeFound.count)
        }
    }

    /// The same count, as the test above would see it, for an index that asked every rule: the
    /// counter must be able to show the difference.
    @Test func theCounterSeesEveryRuleInOneBucket() throws {
        var index = MatchIndex()
        for number in 0..<1000 {
            try index.add(rule("member='PropertiesChanged',arg1='other\(number)'"), owner: PeerID(UInt64(number % 64)))
        }
        let (message, sender) = try Self.probes()[0]
        let (found, cost) = index.recipientsAndCost(of: message, sender: sender)
        #expect(found == [])
        // argN for N > 0 is not indexed: all 1000 rules share the bucket and are evaluated.
        #expect(cost.candidatesEvaluated == 1000)
    }
}
