// Name Registry: invariants under random operations
import Testing
import TestSupport
@testable import BusBroker

@Suite struct NameRegistryInvariantTests {
    /// A seeded random mix of requests with every flag combination, releases and
    /// disconnects. After each step the registry's views agree with one another, and the
    /// NameOwnerChanged events replayed on their own reproduce every owner: a client that
    /// tracks owners from the signals never goes out of step with the bus.
    @Test func viewsAndSignalsStayConsistent() throws {
        var random = SeededRandom(seed: 0xD_B05)
        var names = NameRegistry(maxNamesPerPeer: 6)
        let wellKnown = (0..<6).map { "com.example.N\($0)" }
        var allocator = UniqueNameAllocator()
        var connected: [PeerID] = []
        var ownersFromSignals: [String: PeerID] = [:]

        func replay(_ events: [NameEvent]) {
            for case .ownerChanged(let change) in events {
                #expect(ownersFromSignals[change.name] == change.oldOwner, "\(change)")
                ownersFromSignals[change.name] = change.newOwner
            }
        }

        for step in 0..<5_000 {
            let choice = connected.isEmpty ? 0 : random.next() % 10
            switch choice {
            case 0 where connected.count < 8:
                let peer = allocator.allocate()
                connected.append(peer)
                replay(names.addPeer(peer))
            case 0, 1:
                let peer = connected.remove(at: Int(random.next() % UInt64(connected.count)))
                replay(names.releaseAll(of: peer))
            case 2..<4:
                let peer = connected[Int(random.next() % UInt64(connected.count))]
                let name = wellKnown[Int(random.next() % UInt64(wellKnown.count))]
                replay(try names.releaseName(name, by: peer).events)
            default:
                let peer = connected[Int(random.next() % UInt64(connected.count))]
                let name = wellKnown[Int(random.next() % UInt64(wellKnown.count))]
                let flags = RequestNameFlags(rawValue: UInt32(random.next() % 8))
                do throws(NameRegistryError) {
                    let outcome = try names.requestName(name, by: peer, flags: flags)
                    replay(outcome.events)
                    #expect((outcome.reply == .primaryOwner || outcome.reply == .alreadyOwner) == (names.owner(of: name) == peer))
                } catch {
                    #expect(error == .quotaExceeded(peer: peer, limit: 6), "step \(step)")
                }
            }
            checkViews(of: names, peers: connected, ownersFromSignals: ownersFromSignals, step: step)
        }
    }

    private func checkViews(of names: NameRegistry, peers: [PeerID], ownersFromSignals: [String: PeerID], step: Int) {
        #expect(Set(names.allNames) == Set(ownersFromSignals.keys), "step \(step)")
        for name in names.allNames {
            let queue = names.queuedOwners(of: name)
            #expect(queue.first == names.owner(of: name) && queue.first == ownersFromSignals[name], "step \(step)")
            #expect(Set(queue).count == queue.count, "step \(step)")
        }
        for peer in peers {
            let held = names.allNames.filter { names.queuedOwners(of: $0).contains(peer) }
            #expect(names.nameCount(of: peer) == held.count, "step \(step)")
            #expect(Set(names.names(ownedBy: peer)) == Set(held.filter { $0.first != ":" && names.owner(of: $0) == peer }))
        }
    }
}

