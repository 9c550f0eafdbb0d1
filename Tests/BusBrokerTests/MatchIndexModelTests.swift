// Match Index: random rules and messages checked against asking every rule (the reference semantics)
import Testing
import TestSupport
import DBusWire
@testable import BusBroker

/// Random rules, messages, name changes and removals from small pools, so that keys collide
/// often and every branch of the semantics is taken.
struct MatchScenarioGenerator {
    var random: SeededRandom
    let peers = (1...6).map { PeerID($0) }
    let wellKnown = ["org.example.A", "org.example.B", "org.example.C"]
    let interfaces = ["org.example.I1", "org.example.I2"]
    let members = ["M1", "M2"]
    let paths = ["/a", "/a/b", "/c"]
    let strings = ["x", "org.example", "org.example.A", "/a/"]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &random)! }

    /// A name as a rule or a message may give it: a peer, a well-known name, the driver, or a
    /// unique name nobody has (and one no peer can have, since it is not canonical).
    mutating func busName() -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<4: return pick(peers).uniqueName
        case 4..<8: return pick(wellKnown)
        case 8: return "org.freedesktop.DBus"
        default: return pick([":1.99", ":1.01"])
        }
    }

    mutating func rule() -> MatchRule {
        var rule = MatchRule()
        if chance(40) { rule.type = pick(MessageType.allCases) }
        if chance(30) { rule.sender = busName() }
        if chance(40) { rule.interface = pick(interfaces) }
        if chance(40) { rule.member = pick(members) }
        if chance(30) { rule.path = pick(paths) } else if chance(15) { rule.pathNamespace = pick(paths) }
        if chance(20) { rule.destination = busName() }
        if chance(30) { rule.arguments[0] = pick(strings) }
        if chance(15) { rule.arguments[1] = pick(strings) }
        if chance(10) { rule.argumentPaths[0] = pick(paths + ["/"]) }
        if chance(10) { rule.arg0Namespace = pick(["org", "org.example"]) }
        rule.eavesdrop = chance(35)
        return rule
    }

    /// A message, its sender (nil: the driver) and its recipient peer, which the broker knows
    /// whenever the destination names a connected peer or an owned name.
    mutating func message(ownership: NameOwnership) throws -> (EncodedMessage, sender: PeerID?, recipient: PeerID?) {
        let type = pick(MessageType.allCases)
        var message = Message(type: type, serial: 1)
        switch type {
        case .methodCall:
            message.path = pick(paths)
            message.member = pick(members)
            if chance(70) { message.interface = pick(interfaces) }
        case .signal:
            message.path = pick(paths)
            message.interface = pick(interfaces)
            message.member = pick(members)
        case .methodReturn:
            message.replySerial = 5
        case .error:
            message.replySerial = 5
            message.errorName = "org.example.Error"
        }
        var recipient: PeerID?
        if chance(50) {
            let destination = busName()
            message.destination = destination
            recipient = PeerID(uniqueName: destination).flatMap { peers.contains($0) ? $0 : nil }
                ?? ownership.owners[destination]
        }
        message.body = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            switch Int.random(in: 0..<4, using: &random) {
            case 0: return .objectPath(pick(paths))
            case 1: return .uint32(7)
            default: return .string(pick(strings))
            }
        }
        return (try EncodedMessage(message), chance(15) ? nil : pick(peers), recipient)
    }
}

@Suite struct MatchIndexModelTests {
    /// Interleaved adds, removals, disconnects and name changes; after each step a few random
    /// messages must reach exactly the peers that asking every rule finds.
    @Test(arguments: 0..<4)
    func indexAgreesWithAskingEveryRule(seed: UInt64) throws {
        var generator = MatchScenarioGenerator(random: SeededRandom(seed: seed))
        var index = MatchIndex()
        var model: [(owner: PeerID, rule: MatchRule)] = []
        var ownership = NameOwnership()
        var deliveries = 0
        var eavesdropDeliveries = 0
        var checks = 0
        for step in 0..<600 {
            switch Int.random(in: 0..<100, using: &generator.random) {
            case 0..<60:
                let owner = generator.pick(generator.peers)
                let rule = generator.rule()
                try index.add(rule, owner: owner)
                model.append((owner, rule))
            case 60..<75:
                guard let victim = model.indices.randomElement(using: &generator.random) else { continue }
                #expect(removeOne(&index, model[victim].rule, owner: model[victim].owner), "step \(step)")
                model.remove(at: victim)
            case 75..<78:
                let owner = generator.pick(generator.peers)
                index.removeAll(owner: owner)
                model.removeAll { $0.owner == owner }
            default:
                let name = generator.pick(generator.wellKnown)
                let owner: PeerID? = generator.chance(25) ? nil : generator.pick(generator.peers)
                index.nameOwnerChanged(name, newOwner: owner)
                ownership.owners[name] = owner
            }
            for _ in 0..<4 {
                let (message, sender, recipient) = try generator.message(ownership: ownership)
                let expected = bruteForceRecipients(
                    model, message: message, sender: sender, destination: recipient, ownership: ownership)
                let found = index.recipients(of: message, sender: sender, destination: recipient)
                #expect(found == expected, "step \(step): \(message.message) from \(sender.map(\.uniqueName) ?? "bus") to \(recipient.map(\.uniqueName) ?? "-")")
                if found != expected { return }
                checks += 1
                deliveries += found.count
                if message.message.destination != nil { eavesdropDeliveries += found.count }
            }
            for peer in generator.peers {
                #expect(index.ruleCount(owner: peer) == model.filter { $0.owner == peer }.count)
            }
        }
        // Guards the generator: the run must deliver often, eavesdroppers included, or it proves little.
        #expect(checks == 2400)
        #expect(deliveries > checks / 2)
        #expect(eavesdropDeliveries > 50)
    }
}
