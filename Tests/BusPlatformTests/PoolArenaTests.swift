// Send arena tests: messages in, consumed count back (read from the pool), space reused, bounds held.
import Testing
@testable import BusPlatform

@Suite struct PoolArenaTests {
    private let size = 64 * 1024
    private var dataSize: Int { size - PoolLimits.arenaControlSize }

    /// Both ends of one arena, in one process.
    private struct Ends: ~Copyable {
        var arena: SendArena
        var reader: SendArenaReader
    }

    private func makeEnds() throws -> Ends {
        let arena = try SendArena.create(size: size)
        let reader = try SendArenaReader.map(try arena.descriptorForBroker(), expectedSize: size)
        return Ends(arena: arena, reader: reader)
    }

    @Test func brokerReadsWhatTheClientWrote() throws {
        var ends = try makeEnds()
        let slice = try ends.arena.write(length: 3) { $0.copyBytes(from: [7, 8, 9]) }
        #expect(slice == PoolSlice(offset: PoolLimits.arenaControlSize, length: 3))
        #expect(try ends.reader.withMessage(offset: UInt64(slice.offset), length: 3) { Array($0) } == [7, 8, 9])
        ends.arena.reclaim(sendsConsumed: 1)
        #expect(ends.arena.messagesInFlight == 0)
    }

    @Test func arenaIsFullUntilTheBrokerConsumesThenWrapsAround() throws {
        var ends = try makeEnds()
        let chunk = dataSize / 4
        var slices: [PoolSlice] = []
        for index in 0..<4 { slices.append(try ends.arena.write(length: chunk) { $0.initializeMemory(as: UInt8.self, repeating: UInt8(index)) }) }
        #expect(throws: PoolError.full(requested: 8, freeBytes: 0, largestFree: 0)) { _ = try ends.arena.write(length: 1) { _ in } }
        for slice in slices.prefix(2) {
            _ = try ends.reader.withMessage(offset: UInt64(slice.offset), length: UInt64(slice.length)) { _ in }
        }
        ends.arena.reclaim(sendsConsumed: 2)
        let wrapped = try ends.arena.write(length: chunk * 2) { $0.initializeMemory(as: UInt8.self, repeating: 9) }
        #expect(wrapped.offset == PoolLimits.arenaControlSize, "wraps to the start once the first two are consumed")
        #expect(try ends.reader.withMessage(offset: UInt64(slices[3].offset), length: 1) { $0[0] } == 3, "unconsumed data untouched")
        #expect(ends.arena.messagesInFlight == 3)
    }

    @Test func aMessageThatWouldStraddleTheEndSkipsTheTail() throws {
        var ends = try makeEnds()
        let first = try ends.arena.write(length: dataSize - 64) { _ in }
        ends.arena.reclaim(sendsConsumed: 1)
        let second = try ends.arena.write(length: 128) { _ in }
        #expect(second.offset == PoolLimits.arenaControlSize, "64 tail bytes skipped: messages are contiguous")
        #expect(first.offset == PoolLimits.arenaControlSize)
    }

    @Test func readerHoldsTheBoundsOfTheDataArea() throws {
        let ends = try makeEnds()
        let control = UInt64(PoolLimits.arenaControlSize)
        let cases: [(UInt64, UInt64)] = [(0, 8), (4088, 16), (control - 8, 16), (UInt64(size) - 8, 16), (UInt64(size), 1), (control, 0), (UInt64.max, 1)]
        for (offset, length) in cases {
            #expect(throws: PoolError.outOfBounds(offset: Int(clamping: offset), length: Int(clamping: length), size: size)) {
                try ends.reader.withMessage(offset: offset, length: length) { _ in }
            }
        }
    }

    @Test func aCountAboveWhatWasSentIsNotBelieved() throws {
        var ends = try makeEnds()
        _ = try ends.arena.write(length: 8) { _ in }
        ends.arena.reclaim(sendsConsumed: 99)
        #expect(ends.arena.messagesInFlight == 0, "clamped to the one SEND made, not a crash past the in-flight list")
    }

    @Test func brokerMapsTheArenaReadOnly() throws {
        let ends = try makeEnds()
        #expect(ends.reader.loadCommandTail() == 0 && ends.reader.loadReceiveHead() == 0 && !ends.reader.loadClientWaitsForCommandSpace())
    }

    @Test func brokerRefusesAnArenaThatCouldShrink() throws {
        #expect(throws: PoolError.missingSeals(required: .arena, found: [.grow])) {
            let plain = try MemoryFile.create(name: "swiftbus-test-arena", size: size)
            try plain.addSeals([.grow])
            _ = try SendArenaReader.map(plain, expectedSize: size)
        }
        let arena = try SendArena.create(size: size)
        #expect(throws: PoolError.wrongSize(expected: size * 2, found: size)) {
            _ = try SendArenaReader.map(try arena.descriptorForBroker(), expectedSize: size * 2)
        }
    }
}
