// Send Arena Restart Tests: an empty arena takes any message its data area can hold, wherever the last one ended.
import Testing
@testable import BusPlatform

@Suite struct SendArenaRestartTests {
    private let size = 64 * 1024
    private var dataSize: Int { size - PoolLimits.arenaControlSize }

    @Test("a message longer than the bytes on either side of the position fits once everything was consumed")
    func emptyArenaRestartsAtTheBeginning() throws {
        var arena = try SendArena.create(size: size)
        _ = try arena.write(length: 4096) { _ in }
        arena.reclaim(sendsConsumed: 1)
        // 4096 bytes before the position, dataSize - 4096 after it: neither holds this one.
        let large = dataSize - 2048
        let slice = try arena.write(length: large) { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        #expect(slice == PoolSlice(offset: PoolLimits.arenaControlSize, length: large))
        #expect(arena.messagesInFlight == 1)
    }

    @Test("while a message is in flight the same write still waits: the restart never overwrites unconsumed bytes")
    func restartOnlyWhenEmpty() throws {
        var arena = try SendArena.create(size: size)
        _ = try arena.write(length: 4096) { _ in }
        #expect(throws: PoolError.self) { _ = try arena.write(length: dataSize - 2048) { _ in } }
        arena.reclaim(sendsConsumed: 1)
        #expect(try arena.write(length: dataSize - 2048) { _ in }.offset == PoolLimits.arenaControlSize)
    }
}
