// Record ring tests: both rings across real mappings, the index checks, the wake rule.
import Testing
@testable import BusPlatform

@Suite struct RecordRingTests {
    private let size = 64 * 1024

    /// Both sides of one connection's memory, in one process: the broker's pool and arena
    /// reader, the client's pool view and arena, each its own mapping of the memfds.
    private struct Sides: ~Copyable {
        var pool: ReceivePool
        var view: PoolView
        var arena: SendArena
        var reader: SendArenaReader
    }

    private func makeSides() throws -> Sides {
        let pool = try ReceivePool.create(size: size)
        let view = try PoolView.map(try pool.descriptorForClient(), expectedSize: size)
        let arena = try SendArena.create(size: size)
        let reader = try SendArenaReader.map(try arena.descriptorForBroker(), expectedSize: size)
        return Sides(pool: pool, view: view, arena: arena, reader: reader)
    }

    private static func entry(_ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: RecordRing.entrySize) }

    @Test func commandsPublishedByTheClientReachTheBrokerInOrder() throws {
        let sides = try makeSides()
        for index in 0..<3 { Self.entry(UInt8(index + 1)).withUnsafeBytes { sides.arena.writeCommandEntry(UInt64(index), from: $0) } }
        let ring = sides.arena.publishCommands(oldTail: 0, newTail: 3) { sides.view.loadCommandHead() }
        #expect(ring, "the broker had consumed everything (head 0 == old tail 0): it may sleep, ring it")
        let tail = sides.reader.loadCommandTail()
        #expect(RecordRing.pending(head: 0, tail: tail) == 3)
        var copy = [UInt8](repeating: 0, count: RecordRing.entrySize)
        for index in 0..<3 {
            copy.withUnsafeMutableBytes { sides.reader.copyCommandEntry(UInt64(index), into: $0) }
            #expect(copy == Self.entry(UInt8(index + 1)))
        }
        let again = sides.pool.finishCommandPass(head: tail) { sides.reader.loadCommandTail() }
        #expect(again == tail, "nothing new: the broker may sleep")
        #expect(sides.view.loadCommandHead() == 3)
    }

    @Test func receivesPublishedByTheBrokerReachTheClientAcrossTheWrap() throws {
        let sides = try makeSides()
        var head: UInt64 = 0
        var tail: UInt64 = 0
        var copy = [UInt8](repeating: 0, count: RecordRing.entrySize)
        for round in 0..<5 {
            let batch = UInt64(RecordRing.entries / 2 + round)
            for index in tail..<tail + batch { Self.entry(UInt8(truncatingIfNeeded: index)).withUnsafeBytes { sides.pool.writeReceiveEntry(index, from: $0) } }
            _ = sides.pool.publishReceives(oldTail: tail, newTail: tail + batch) { sides.reader.loadReceiveHead() }
            tail += batch
            let seen = sides.view.loadReceiveTail()
            #expect(RecordRing.pending(head: head, tail: seen) == Int(batch))
            for index in head..<seen {
                copy.withUnsafeMutableBytes { sides.view.copyReceiveEntry(index, into: $0) }
                #expect(copy == Self.entry(UInt8(truncatingIfNeeded: index)))
            }
            head = seen
            #expect(sides.arena.finishReceivePass(head: head) { sides.view.loadReceiveTail() } == head)
        }
        #expect(sides.reader.loadReceiveHead() == tail)
    }

    @Test func wakeRuleRingsOnlyAConsumerThatHadCaughtUp() throws {
        let sides = try makeSides()
        let record = Self.entry(9)
        record.withUnsafeBytes { sides.pool.writeReceiveEntry(0, from: $0) }
        #expect(sides.pool.publishReceives(oldTail: 0, newTail: 1) { sides.reader.loadReceiveHead() }, "caught up → ring")
        record.withUnsafeBytes { sides.pool.writeReceiveEntry(1, from: $0) }
        #expect(!sides.pool.publishReceives(oldTail: 1, newTail: 2) { sides.reader.loadReceiveHead() },
                "behind (head 0 < 1): the client has not finished its pass and re-loads the tail")
        _ = sides.arena.finishReceivePass(head: 2) { sides.view.loadReceiveTail() }
        record.withUnsafeBytes { sides.pool.writeReceiveEntry(2, from: $0) }
        #expect(sides.pool.publishReceives(oldTail: 2, newTail: 3) { sides.reader.loadReceiveHead() })
    }

    @Test func consumerThatFinishesAPassSeesATailThatMovedMeanwhile() throws {
        let sides = try makeSides()
        Self.entry(1).withUnsafeBytes { sides.arena.writeCommandEntry(0, from: $0) }
        _ = sides.arena.publishCommands(oldTail: 0, newTail: 1) { sides.view.loadCommandHead() }
        // The broker read tail 1 and processed entry 0; the client publishes entry 1 before
        // the broker stores its head: no ring (head 0 < 1), so the pass must see the move.
        Self.entry(2).withUnsafeBytes { sides.arena.writeCommandEntry(1, from: $0) }
        #expect(!sides.arena.publishCommands(oldTail: 1, newTail: 2) { sides.view.loadCommandHead() })
        #expect(sides.pool.finishCommandPass(head: 1) { sides.reader.loadCommandTail() } == 2)
    }

    @Test(arguments: [
        (UInt64(10), UInt64(9)), (UInt64(0), UInt64(1025)), (UInt64(5), UInt64.max), (UInt64.max, UInt64(0)),
    ])
    func impossibleIndicesAreRejected(head: UInt64, tail: UInt64) {
        #expect(RecordRing.pending(head: head, tail: tail) == nil)
        #expect(RecordRing.space(tail: tail, consumerHead: head) == nil)
    }

    @Test func fullRingHasNoSpaceAndIndicesWrapAt64Bits() {
        #expect(RecordRing.pending(head: 0, tail: 1024) == 1024)
        #expect(RecordRing.space(tail: 1024, consumerHead: 0) == 0, "full: the producer must wait")
        #expect(RecordRing.space(tail: 1024, consumerHead: 1) == 1)
        #expect(RecordRing.pending(head: UInt64.max - 1, tail: UInt64.max) == 1)
        #expect(RecordRing.entryOffset(0) == RecordRing.entryOffset(1024))
        #expect(RecordRing.entryOffset(1023) + RecordRing.entrySize == PoolLimits.poolControlSize)
    }

    @Test func flagsAndSendsConsumedCrossTheMappings() throws {
        var sides = try makeSides()
        let initially = sides.view.loadBrokerWaitsForRecvSpace()
        sides.pool.storeBrokerWaitsForRecvSpace(true)
        let set = sides.view.loadBrokerWaitsForRecvSpace()
        sides.pool.storeBrokerWaitsForRecvSpace(false)
        let cleared = sides.view.loadBrokerWaitsForRecvSpace()
        #expect(!initially && set && !cleared)
        sides.arena.storeClientWaitsForCommandSpace(true)
        let clientWaits = sides.reader.loadClientWaitsForCommandSpace()
        #expect(clientWaits)
        _ = try sides.arena.write(length: 16) { _ in }
        #expect(sides.arena.messagesInFlight == 1)
        sides.pool.storeSendsConsumed(1)
        sides.arena.reclaim(sendsConsumed: sides.view.loadSendsConsumed())
        #expect(sides.arena.messagesInFlight == 0)
    }
}
