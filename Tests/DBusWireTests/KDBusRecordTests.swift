// KDBus record tests: byte-exact layouts, round trips, and every validation rule.
import Testing
import TestSupport
@testable import DBusWire

@Suite struct KDBusRecordTests {
    @Test func sendHasTheDocumentedLayout() throws {
        let record = KDBusRecord.send(.init(arenaOffset: 0x1000, length: 0x48, priority: -2, fdCount: 3, memfdCount: 1))
        #expect(record.bytes == [
            1, 0, 0, 0, 0, 0, 0, 0,
            0x00, 0x10, 0, 0, 0, 0, 0, 0,
            0x48, 0, 0, 0, 0, 0, 0, 0,
            0xFE, 0xFF, 0xFF, 0xFF, 3, 0, 1, 0,
        ])
    }

    @Test func freeAndLostHaveTheDocumentedLayout() throws {
        let free = try #require(KDBusRecord.Free(offsets: [8, 0x100]))
        #expect(KDBusRecord.free(free).bytes == [2, 0, 0, 0, 2, 0, 0, 0] + [8, 0, 0, 0, 0, 0, 0, 0]
            + [0, 1, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
        #expect(KDBusRecord.broadcastsLost(.init(count: 5, total: 0x105)).bytes == [4, 0, 0, 0, 0, 0, 0, 0]
            + [5, 0, 0, 0, 0, 0, 0, 0] + [5, 1, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
    }

    @Test func randomRecordsRoundTrip() throws {
        var random = SeededRandom(seed: 6)
        for _ in 0..<2000 {
            let record = Self.randomRecord(&random)
            let direction: KDBusDirection = record.kind.travels(.clientToBroker) ? .clientToBroker : .brokerToClient
            let decoded = try KDBusRecord.decode(record.bytes, from: direction)
            #expect(decoded == record)
        }
    }

    @Test func freeBatchSplitsIntoRecordsOfThree() {
        let batches = KDBusRecord.Free.batch((1...7).map { UInt64($0 * 8) })
        #expect(batches.map(\.count) == [3, 3, 1])
        #expect(batches.flatMap(\.offsets) == (1...7).map { UInt64($0 * 8) })
        #expect(KDBusRecord.Free.batch([]).isEmpty)
        #expect(KDBusRecord.Free(offsets: [1, 2, 3, 4]) == nil)
    }

    @Test func recordsOnlyTravelTheirWay() {
        let receive = KDBusRecord.receive(.init(poolOffset: 0, length: 8)).bytes
        #expect(throws: KDBusRecordError(.wrongDirection, field: .kind, offset: 96, value: 3)) {
            try KDBusRecord.decode(receive, from: .clientToBroker, streamOffset: 96)
        }
        let send = KDBusRecord.send(.init(arenaOffset: UInt64(KDBusLimits.arenaControlSize), length: 8)).bytes
        #expect(throws: KDBusRecordError(.wrongDirection, field: .kind, offset: 0, value: 1)) {
            try KDBusRecord.decode(send, from: .brokerToClient)
        }
    }

    /// Each case: a field patched in a valid SEND, and the error naming that field.
    @Test(arguments: [
        (0, UInt64(9), 4, KDBusRecordError.Problem.unknownKind, KDBusRecordError.Field.kind),
        (4, 1, 4, .unknownFlags(bits: 1), .flags),
        (8, 4100, 8, .misaligned, .offset),
        (8, 8, 8, .belowLimit(limit: 36_864), .offset),
        (16, 0, 8, .zero, .length),
        (16, 1 << 30, 8, .aboveLimit(limit: 256 * 1024 * 1024), .length),
        (28, 254, 2, .aboveLimit(limit: 253), .fdCount),
        (30, 17, 2, .aboveLimit(limit: 16), .memfdCount),
    ] as [(Int, UInt64, Int, KDBusRecordError.Problem, KDBusRecordError.Field)])
    func invalidSendNamesTheField(at: Int, value: UInt64, width: Int, problem: KDBusRecordError.Problem, field: KDBusRecordError.Field) {
        var bytes = KDBusRecord.send(.init(arenaOffset: UInt64(KDBusLimits.arenaControlSize), length: 64)).bytes
        Self.patch(&bytes, at: at, value: value, width: width)
        #expect(throws: KDBusRecordError(problem, field: field, offset: 320 + at, value: value)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker, streamOffset: 320)
        }
    }

    @Test func memfdCountShareTheDescriptorLimit() {
        var bytes = KDBusRecord.send(.init(arenaOffset: UInt64(KDBusLimits.arenaControlSize), length: 64, fdCount: 250)).bytes
        Self.patch(&bytes, at: 30, value: 4, width: 2)
        #expect(throws: KDBusRecordError(.aboveLimit(limit: 3), field: .memfdCount, offset: 30, value: 4)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
    }

    @Test func invalidFreeNamesTheSlot() throws {
        var bytes = KDBusRecord.free(try #require(.init(offsets: [8]))).bytes
        Self.patch(&bytes, at: 24, value: 16, width: 8)
        #expect(throws: KDBusRecordError(.notZero, field: .freeSlot, offset: 24, value: 16)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
        Self.patch(&bytes, at: 24, value: 0, width: 8)
        Self.patch(&bytes, at: 8, value: 12, width: 8)
        #expect(throws: KDBusRecordError(.misaligned, field: .freeSlot, offset: 8, value: 12)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
        Self.patch(&bytes, at: 4, value: 0, width: 4)
        #expect(throws: KDBusRecordError(.zero, field: .freeCount, offset: 4, value: 0)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
        Self.patch(&bytes, at: 4, value: 4, width: 4)
        #expect(throws: KDBusRecordError(.aboveLimit(limit: 3), field: .freeCount, offset: 4, value: 4)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
    }

    @Test func invalidLostCountsAreRejected() {
        var bytes = KDBusRecord.broadcastsLost(.init(count: 5, total: 5)).bytes
        Self.patch(&bytes, at: 16, value: 4, width: 8)
        #expect(throws: KDBusRecordError(.belowLimit(limit: 5), field: .lostTotal, offset: 16, value: 4)) {
            try KDBusRecord.decode(bytes, from: .brokerToClient)
        }
        Self.patch(&bytes, at: 16, value: 5, width: 8)
        Self.patch(&bytes, at: 24, value: 1, width: 8)
        #expect(throws: KDBusRecordError(.notZero, field: .reserved, offset: 24, value: 1)) {
            try KDBusRecord.decode(bytes, from: .brokerToClient)
        }
    }

    @Test func announcementsCarryOnlyAPageMultipleSize() {
        #expect(KDBusRecord.poolAnnouncement(size: 1 << 20).bytes == [5, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
            + [0, 0, 0x10, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
        var bytes = KDBusRecord.arenaAnnouncement(size: 1 << 20).bytes
        Self.patch(&bytes, at: 16, value: (1 << 20) + 8, width: 8)
        #expect(throws: KDBusRecordError(.notPageMultiple, field: .length, offset: 16, value: (1 << 20) + 8)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
        Self.patch(&bytes, at: 16, value: 4096, width: 8)
        #expect(throws: KDBusRecordError(.belowLimit(limit: 65536), field: .length, offset: 16, value: 4096)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
        Self.patch(&bytes, at: 16, value: 1 << 20, width: 8)
        Self.patch(&bytes, at: 28, value: 1, width: 2)
        #expect(throws: KDBusRecordError(.notZero, field: .fdCount, offset: 28, value: 1), "the one descriptor is implied") {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
        #expect(throws: KDBusRecordError(.aboveLimit(limit: KDBusLimits.maxPoolSize), field: .length, offset: 16, value: 1 << 30)) {
            try KDBusRecord.decode(KDBusRecord.poolAnnouncement(size: 1 << 30).bytes, from: .brokerToClient)
        }
    }

    @Test func descriptorsRecordTravelsBothWaysWithACountOnly() throws {
        let record = KDBusRecord.descriptors(count: 3)
        #expect(record.bytes == [7, 0, 0, 0, 3, 0, 0, 0] + [UInt8](repeating: 0, count: 24))
        #expect(try KDBusRecord.decode(record.bytes, from: .clientToBroker) == record)
        #expect(try KDBusRecord.decode(record.bytes, from: .brokerToClient) == record)
        #expect(!KDBusRecordKind.descriptors.isRingEntry && KDBusRecordKind.send.isRingEntry && KDBusRecordKind.receive.isRingEntry)
        var bytes = record.bytes
        Self.patch(&bytes, at: 4, value: 0, width: 4)
        #expect(throws: KDBusRecordError(.zero, field: .descriptorCount, offset: 36, value: 0)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker, streamOffset: 32)
        }
        Self.patch(&bytes, at: 4, value: 254, width: 4)
        #expect(throws: KDBusRecordError(.aboveLimit(limit: 253), field: .descriptorCount, offset: 4, value: 254)) {
            try KDBusRecord.decode(bytes, from: .brokerToClient)
        }
        Self.patch(&bytes, at: 4, value: 253, width: 4)
        Self.patch(&bytes, at: 24, value: 1, width: 8)
        #expect(throws: KDBusRecordError(.notZero, field: .reserved, offset: 24, value: 1)) {
            try KDBusRecord.decode(bytes, from: .clientToBroker)
        }
    }

    @Test func ringLayoutConstants() {
        #expect(KDBusLimits.protocolVersion == 3)
        #expect(KDBusLimits.ringEntries == 1024 && KDBusLimits.ringEntries & (KDBusLimits.ringEntries - 1) == 0)
        #expect(KDBusLimits.poolControlSize == 36_864 && KDBusLimits.arenaControlSize == 36_864)
        #expect(KDBusLimits.poolControlSize % KDBusLimits.pageSize == 0, "slices start on a page")
    }

    @Test func shortInputIsTruncated() {
        #expect(throws: KDBusRecordError(.truncated(available: 31), field: .record, offset: 64, value: 0)) {
            try KDBusRecord.decode([UInt8](repeating: 0, count: 31), from: .clientToBroker, streamOffset: 64)
        }
    }

    @Test func errorsDescribeFieldAndOffset() {
        let error = KDBusRecordError(.misaligned, field: .offset, offset: 40, value: 4100)
        #expect(error.description == "kdbus record: offset = 4100 at stream offset 40: not a multiple of 8")
    }

    static func patch(_ bytes: inout [UInt8], at offset: Int, value: UInt64, width: Int) {
        for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }

    static func randomRecord(_ random: inout SeededRandom) -> KDBusRecord {
        let priority = Int32.random(in: .min ... .max, using: &random)
        let length = UInt64.random(in: 1...UInt64(KDBusLimits.maxPoolSize), using: &random)
        let fds = UInt16.random(in: 0...200, using: &random)
        let memfds = UInt16.random(in: 0...16, using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 5: return .descriptors(count: UInt32.random(in: 1...253, using: &random))
        case 0:
            let offset = UInt64.random(in: 4608...1 << 40, using: &random) * 8
            return .send(.init(arenaOffset: offset, length: length, priority: priority, fdCount: fds, memfdCount: memfds))
        case 1:
            let offset = UInt64.random(in: 0...1 << 40, using: &random) * 8
            return .receive(.init(poolOffset: offset, length: length, priority: priority, fdCount: fds, memfdCount: memfds))
        case 2:
            let offsets = (0..<Int.random(in: 1...3, using: &random)).map { _ in UInt64.random(in: 0...1 << 40, using: &random) * 8 }
            return .free(KDBusRecord.Free(offsets: offsets)!)
        case 3: return .poolAnnouncement(size: UInt64.random(in: 16...65536, using: &random) * 4096)
        case 4: return .arenaAnnouncement(size: UInt64.random(in: 16...32768, using: &random) * 4096)
        default:
            let count = UInt64.random(in: 1...1000, using: &random)
            return .broadcastsLost(.init(count: count, total: count + UInt64.random(in: 0...1 << 50, using: &random)))
        }
    }
}
