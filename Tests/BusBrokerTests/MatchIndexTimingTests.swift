// Match Index: wall-clock cost of a lookup, in optimized builds only (prints figures, checks results)
//
// Reproduce: swift test -c release -Xswiftc -enable-testing --scratch-path .build-release \
//                --filter MatchIndexTimingTests
// Debug builds skip it: unoptimized figures say nothing about the broker. The scaling test checks
// the cost model by counting; this one only reports what the counts cost in time, next to the
// time of asking every rule, which is what an unindexed broker would do.
#if !DEBUG
import Testing
import DBusWire
@testable import BusBroker

@Suite(.serialized) struct MatchIndexTimingTests {
    static let ruleCounts = [16, 1 << 10, 1 << 16]
    static let lookups = 40_000
    /// The machine is shared and noisy: the best of several runs is the figure least disturbed.
    static let runs = 5

    @Test func lookupTimeDoesNotGrowWithNonMatchingRules() throws {
        let probes = try MatchIndexScalingTests.probes()
        var reference: [[PeerID]]?
        for count in Self.ruleCounts {
            let index = try MatchIndexScalingTests.index(nonMatching: count)
            let found: [[PeerID]] = probes.map { index.recipients(of: $0.0, sender: $0.sender) }
            if let reference { #expect(found == reference, "\(count) rules") } else { reference = found }
            var delivered = 0
            let elapsed = Self.best {
                for round in 0..<Self.lookups {
                    let (message, sender) = probes[round % probes.count]
                    index.forEachRecipient(of: message.view, sender: sender, destination: nil) { _ in delivered += 1 }
                }
            }
            #expect(delivered == Self.runs * Self.lookups / probes.count * found.reduce(0) { $0 + $1.count })
            print("MatchIndex: \(count) rules: \(Self.nanoseconds(elapsed, per: Self.lookups)) ns per lookup")
        }
    }

    /// What the same lookups cost when every rule is asked, for comparison.
    @Test func askingEveryRuleGrowsWithTheRules() throws {
        let probes = try MatchIndexScalingTests.probes()
        for count in Self.ruleCounts {
            let rules = (0..<count).map(MatchIndexScalingTests.nonMatchingRule) + MatchIndexScalingTests.matchingRules
            let rounds = max(20, Self.lookups / count / 4)
            var matched = 0
            let elapsed = Self.best {
                for round in 0..<rounds {
                    let (message, _) = probes[round % probes.count]
                    for position in rules.indices where rules[position].matches(message.view) { matched += 1 }
                }
            }
            #expect(matched > 0)
            print("Asking every rule: \(count) rules: \(Self.nanoseconds(elapsed, per: rounds)) ns per lookup")
        }
    }

    static func best(_ body: () -> Void) -> Duration {
        (0..<runs).map { _ in ContinuousClock().measure(body) }.min()!
    }

    static func nanoseconds(_ duration: Duration, per count: Int) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int((seconds * 1_000_000_000 + attoseconds / 1_000_000_000) / Int64(count))
    }
}
#endif
