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

    /// A marshalled Hello call, as a client sends it classic before its ARENA.
    static func hello() throws -> [UInt8] {
        var message = driverCall("Hello")
        message.serial = 1
        return try message.encoded()
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
             sendOutOfArena, sendBeforeArena, secondArena, classicAfterArena, recordBeforeArenaAfterHello, garbageBeforeArena,
             impossibleTail, tailBehindHead, fdsInTheRing, sendClaimsFDsWithoutFDSRecord, fdsBeforeArena, sendOnTheSocket,
             impossibleReceiveHead, fdsWithoutDescriptors
        var testDescription: String { rawValue }
    }

    @Test("each broken rule disconnects only that client, with a log line naming it, while another keeps round-tripping",
          arguments: Case.allCases)
    func malformedRecord(_ broken: Case) throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let bystander = try TestClient(address: broker.address)
        try bystander.connect()
        let raw = try KDBusRawClient(address: broker.address)
        let size = raw.agreement.arenaSize
        let control = UInt64(KDBusLimits.arenaControlSize)
        let good = try Self.arena(size: size)
        defer { close(good.fd) }
        let expected: String
        switch broken {
        case .unknownKind:
            try raw.announceArena()
            raw.publish(Self.record(99))
            expected = "command ring entry 0: kdbus record: kind = 99 at stream offset 0: unknown record kind"
        case .wrongDirection:
            try raw.announceArena()
            raw.publish(KDBusRecord.receive(.init(poolOffset: 0, length: 64)).bytes)
            expected = "kind = 3 at stream offset 0: record kind not allowed in this direction"
        case .misalignedOffset:
            try raw.announceArena()
            raw.publish(Self.record(1, 0, control + 1, 16))
            expected = "command ring entry 0: kdbus record: offset = \(control + 1) at stream offset 8: not a multiple of 8"
        case .freeOfNonBusyOffset:
            try raw.announceArena()
            raw.publish(KDBusRecord.free(KDBusRecord.Free(offsets: [control])!).bytes)
            expected = "command ring entry 0: FREE of pool offset \(control): no slice in use starts at offset \(control)"
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
            try raw.announceArena()
            raw.publish(KDBusRecord.send(.init(arenaOffset: UInt64(size - 8), length: 64)).bytes)
            expected = "command ring entry 0: SEND outside the arena: range [\(size - 8), +64) outside the \(size)-byte region"
        case .sendBeforeArena:
            try raw.send(KDBusRecord.send(.init(arenaOffset: control, length: 64)).bytes)
            expected = "send before ARENA; ARENA must be the first record"
        case .classicAfterArena:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(Self.hello())
            expected = "at stream offset 32: unknown record kind"
        case .recordBeforeArenaAfterHello:
            // Classic messages may precede ARENA; a record other than ARENA may not.
            try raw.send(Self.hello())
            try raw.send(KDBusRecord.free(KDBusRecord.Free(offsets: [0])!).bytes)
            expected = "free before ARENA; ARENA must be the first record"
        case .garbageBeforeArena:
            try raw.send(Self.record(0x30))
            expected = "kind = 48 at stream offset 0: unknown record kind"
        case .secondArena:
            try raw.send(good.record, fds: [good.fd])
            try raw.send(good.record, fds: [good.fd])
            expected = "a second ARENA; the arena is announced once"
        case .impossibleTail:
            try raw.announceArena()
            raw.publishTail(UInt64(KDBusLimits.ringEntries) + 1)
            expected = "command ring: commandTail = 1025 with commandHead = 0"
        case .tailBehindHead:
            try raw.announceArena()
            raw.publishTail(UInt64.max)
            expected = "command ring: commandTail = \(UInt64.max) with commandHead = 0"
        case .fdsInTheRing:
            try raw.announceArena()
            raw.publish(KDBusRecord.descriptors(count: 1).bytes)
            expected = "command ring entry 0: descriptors in the command ring; it carries only SEND and FREE"
        case .sendClaimsFDsWithoutFDSRecord:
            try raw.announceArena()
            try raw.sendMessage(try Self.hello(), fdCount: 1)
            expected = "command ring entry 0: SEND claims 1 descriptors, FDS records delivered 0"
        case .fdsBeforeArena:
            try raw.send(KDBusRecord.descriptors(count: 1).bytes, fds: [good.fd])
            expected = "descriptors before ARENA; ARENA must be the first record"
        case .sendOnTheSocket:
            try raw.announceArena()
            try raw.send(KDBusRecord.send(.init(arenaOffset: control, length: 64)).bytes)
            expected = "at stream offset 32: send on the socket; after ARENA the socket carries only FDS records"
        case .impossibleReceiveHead:
            try raw.announceArena()
            raw.storeReceiveHead(5)
            try raw.sendMessage(try Self.hello())
            expected = "RECV ring: recvHead = 5 with recvTail = 0"
        case .fdsWithoutDescriptors:
            try raw.announceArena()
            try raw.send(KDBusRecord.descriptors(count: 2).bytes, fds: [good.fd])
            raw.publish(KDBusRecord.send(.init(arenaOffset: control, length: 64, fdCount: 2)).bytes)
            expected = "SEND claims 2 descriptors, FDS records delivered 2 (1 received)"
        }
        #expect(raw.waitForDisconnect())
        let reply = try bystander.call(driverCall("GetId"))
        #expect(reply.type == .methodReturn)
        // A kdbus bystander, connected after, is served through its rings.
        let other = try KDBusRawClient(address: broker.address)
        try other.announceArena()
        try other.sendMessage(try Self.hello())
        #expect(try other.nextMessageText().contains(":1."))
        // After a classic Hello the log names the peer by its unique name.
        let lines = broker.log.split(separator: "\n").filter { $0.contains("disconnecting ") }
        #expect(lines.count == 1, "log: \(broker.log)")
        #expect(lines.first?.contains(expected) == true, "expected '\(expected)' in: \(lines)")
        #expect(lines.first?.contains("pid \(getpid())") == true)
    }
}

