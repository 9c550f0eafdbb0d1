// KDBus Protocol Error Tests: a client breaking a record rule loses its connection, alone, with a log line.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import Testing

@Suite("kdbus transport: malformed records", .serialized)
struct KDBusProtocolErrorTests {
    /// A correct ARENA announcement and the arena behind it.
    static func arena(size: Int, seals: FileSeals = .arena) throws -> (record: [UInt8], fd: CInt) {
        let file = try MemoryFile.create(name: "test-arena", size: size)
        if !seals.isEmpty { try file.addSeals(seals) }
        return (KDBusRecord.arenaAnnouncement(size: UInt64(size)).bytes, file.take())
    }

    /// A record with `words` (u32 kind, u32, u64, u64, u64) in little-endian.
    static func record(_ kind: UInt32, _ word: UInt32 = 0, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: KDBusLimits.recordSize)
        bytes.withUnsafeMutableBytes { raw in
            raw.kdbusStore(kind, at: 0)
            raw.kdbusStore(word, at: 4)
            raw.kdbusStore(a, at: 8)
            raw.kdbusStore(b, at: 16)
            raw.kdbusStore(c, at: 24)
        }
        return bytes
    }

    enum Case: String, CaseIterable, CustomTestStringConvertible {
        case unknownKind, wrongDirection, misalignedOffset, freeOfNonBusyOffset, arenaWithoutSeals, arenaWrongSize,
             sendOutOfArena, sendBeforeArena, secondArena
        var testDescription: String { rawValue }
    }

    @Test("each broken rule disconnects only that client, with a log line naming it, while another keeps round-tripping",
          arguments: Case.allCases)
    func malformedRecord(_ broken: Case) throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let bystander = try KDBusTestClient(address: broker.address)
        let raw = try KDBusRawClient(address: broker.address)
        let size = raw.agreement.arenaSize
        let good = try Self.arena(size: size)
        defer { close(good.fd) }
        let expected: String
        switch broken {
        case .unknownKind:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(Self.record(99))
            expected = "kind = 99 at stream offset 32: unknown record kind"
        case .wrongDirection:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(KDBusRecord.receive(.init(poolOffset: 0, length: 64)).bytes)
            expected = "kind = 3 at stream offset 32: record kind not allowed in this direction"
        case .misalignedOffset:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(Self.record(1, 0, 4097, 16))
            expected = "offset = 4097 at stream offset 40: not a multiple of 8"
        case .freeOfNonBusyOffset:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(KDBusRecord.free(KDBusRecord.Free(offsets: [4096])!).bytes)
            expected = "FREE of pool offset 4096: no slice in use starts at offset 4096"
        case .arenaWithoutSeals:
            let unsealed = try Self.arena(size: size, seals: [])
            defer { close(unsealed.fd) }
            try raw.send(unsealed.record, fds: [unsealed.fd])
            expected = "unusable ARENA memfd: memfd seals [], need at least [seal, shrink, grow]"
        case .arenaWrongSize:
            let wrong = try Self.arena(size: size + 4096)
            defer { close(wrong.fd) }
            try raw.send(wrong.record, fds: [wrong.fd])
            expected = "ARENA of \(size + 4096) bytes, but \(size) were agreed"
        case .sendOutOfArena:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(KDBusRecord.send(.init(arenaOffset: UInt64(size - 8), length: 64)).bytes)
            expected = "SEND outside the arena: range [\(size - 8), +64) outside the \(size)-byte region"
        case .sendBeforeArena:
            try raw.send(KDBusRecord.send(.init(arenaOffset: 4096, length: 64)).bytes)
            expected = "send before ARENA; ARENA must be the first record"
        case .secondArena:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(good.record, fds: [good.fd])
            expected = "a second ARENA; the arena is announced once"
        }
        #expect(raw.waitForDisconnect())
        let reply = try bystander.call(driverCall("GetId"))
        #expect(reply.type == .methodReturn)
        let lines = broker.log.split(separator: "\n").filter { $0.contains("disconnecting connection #") }
        #expect(lines.count == 1, "log: \(broker.log)")
        #expect(lines.first?.contains(expected) == true, "expected '\(expected)' in: \(lines)")
        #expect(lines.first?.contains("pid \(getpid())") == true)
    }
}

