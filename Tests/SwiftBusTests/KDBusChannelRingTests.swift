// KDBus Channel Ring Tests: the client's ring mechanics against a broker side made of the real pool primitives.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Synchronization
import Testing

/// The broker's half of one upgraded connection, in this process: a real receive pool,
/// real doorbell pipes and the other end of a socket pair. It publishes RECVs by hand, so
/// the tests can make the broker honest, slow or lying.
private struct FakeBroker: ~Copyable {
    var pool: ReceivePool
    let bells: BrokerDoorbells
    let socket: UnixSocket
    /// The client under test, connected to this broker.
    let channel: KDBusChannel
    var recvTail: UInt64 = 0
    /// Command entries consumed.
    var commandHead: UInt64 = 0

    static let agreement = KDBusAgreement(version: KDBusLimits.protocolVersion, poolSize: 1 << 20, arenaSize: 1 << 20,
                                          memfdThreshold: KDBusLimits.defaultMemfdThreshold, metadata: [])

    /// Sends POOL with its three descriptors, then lets a channel take over the other end.
    static func start() throws -> FakeBroker {
        let pair = try UnixSocket.pair()
        let brokerSocket = UnixSocket(adopting: try pair.first.descriptor.duplicate())
        let clientSocket = UnixSocket(adopting: try pair.second.descriptor.duplicate())
        let pool = try ReceivePool.create(size: agreement.poolSize)
        let bells = try BrokerDoorbells.make()
        var list = DescriptorList(reservingCapacity: 3)
        list.append(try pool.descriptorForClient())
        list.append(try bells.clientEnds.wakesClient.duplicate())
        list.append(try bells.clientEnds.ringsBroker.duplicate())
        let record = KDBusRecord.poolAnnouncement(size: UInt64(agreement.poolSize)).bytes
        try send(record, descriptors: list, on: brokerSocket)
        var none = DescriptorList()
        let channel = try KDBusChannel(socket: clientSocket, agreement: agreement, received: [], descriptors: &none)
        return FakeBroker(pool: pool, bells: bells, socket: brokerSocket, channel: channel)
    }

    private static func send(_ record: [UInt8], descriptors: borrowing DescriptorList, on socket: borrowing UnixSocket) throws {
        let result = record.withUnsafeBytes { bytes in Result { () throws(Errno) in try socket.send(bytes, descriptors: descriptors) } }
        #expect(try result.get() == record.count)
    }

    /// Writes `body` into a new slice as one inline payload item and its RECV into the ring
    /// (not yet published). Returns the slice's offset.
    mutating func writeReceive(_ body: [UInt8]) throws -> UInt64 {
        let itemsEnd = KDBusSliceHeader.size + KDBusSliceWriter.itemSize(payloadLength: 16)
        let slice = try pool.allocate(itemsEnd + body.count)
        pool.withSliceBytes(slice) { target in
            var writer = KDBusSliceWriter(buffer: target)
            _ = writer.append(.payloadInline, payloadLength: 16) { payload in
                payload.kdbusStore(UInt64(itemsEnd), at: 0)
                payload.kdbusStore(UInt64(body.count), at: 8)
            }
            body.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: target[itemsEnd..<itemsEnd + body.count]).copyMemory(from: $0) }
            writer.finish(sequence: recvTail + 1)
        }
        let receive = KDBusRecord.receive(.init(poolOffset: UInt64(slice.offset), length: UInt64(slice.length)))
        let index = recvTail
        receive.bytes.withUnsafeBytes { pool.writeReceiveEntry(index, from: $0) }
        recvTail += 1
        return UInt64(slice.offset)
    }

    /// Reads ARENA from the socket and maps the client's arena read-only.
    func acceptArena() throws -> SendArenaReader {
        var descriptors = DescriptorList()
        var control = ControlBuffer()
        var bytes = [UInt8](repeating: 0, count: KDBusLimits.recordSize)
        let count = try bytes.withUnsafeMutableBytes { raw in
            Result { () throws(ReceiveError) in try socket.receive(into: raw, descriptors: &descriptors, control: &control).byteCount }
        }.get()
        #expect(count == KDBusLimits.recordSize)
        guard case .arenaAnnouncement(let size) = try KDBusRecord.decode(bytes, from: .clientToBroker), let file = descriptors.take(at: 0) else {
            throw KDBusChannelError.protocolViolation("the client's first record is not ARENA with its memfd")
        }
        return try SendArenaReader.map(file, expectedSize: Int(size))
    }

    /// Consumes every published command entry and returns the offsets its FREEs name.
    mutating func consumeFrees(from arena: borrowing SendArenaReader) throws -> [UInt64] {
        var freed: [UInt64] = []
        let tail = arena.loadCommandTail()
        while commandHead != tail {
            var entry = [UInt8](repeating: 0, count: KDBusLimits.recordSize)
            let index = commandHead
            entry.withUnsafeMutableBytes { arena.copyCommandEntry(index, into: $0) }
            guard case .free(let free) = try KDBusRecord.decode(entry, from: .clientToBroker) else {
                Issue.record("command entry \(index) is not a FREE")
                return freed
            }
            for slot in 0..<free.count { freed.append(free[slot]) }
            commandHead += 1
        }
        _ = pool.finishCommandPass(head: commandHead, clientTail: { arena.loadCommandTail() })
        return freed
    }

    /// Publishes the RECVs written since `oldTail`, waking the client per the wake rule: by
    /// futex or by doorbell, as its arena says it sleeps (`ringOnly`: always by doorbell, a
    /// broker that ignores the flag).
    func publish(from oldTail: UInt64, clientHead: UInt64, arena: borrowing SendArenaReader, ringOnly: Bool = false) {
        if pool.publishReceives(oldTail: oldTail, newTail: recvTail, clientHead: { clientHead }) {
            pool.wakeClient(sleepsOnFutex: !ringOnly && arena.loadClientSleepsOnFutex(), doorbell: bells.toClient)
        }
    }
}

@Suite("kdbus channel rings against real pool primitives")
struct KDBusChannelRingTests {
    @Test("RECVs keep arriving in order across several wrap-arounds of the RECV ring, slices freed as FREEs")
    func receiveRingWraps() throws {
        var broker = try FakeBroker.start()
        let channel = broker.channel
        let arena = try broker.acceptArena()
        var released: [UInt64] = []
        var freed: [UInt64] = []
        let total = 3 * KDBusLimits.ringEntries + 7
        var next = 0
        while next < total {
            // Batches of 100: a batch can straddle the ring's end.
            let oldTail = broker.recvTail
            var offsets: [UInt64] = []
            for index in next..<min(next + 100, total) { offsets.append(try broker.writeReceive(Array("message \(index)".utf8))) }
            broker.publish(from: oldTail, clientHead: oldTail, arena: arena)
            for (position, offset) in offsets.enumerated() {
                let message = try channel.receive(timeoutMilliseconds: 1000)
                #expect(message.poolOffset == offset)
                #expect(try channel.messageBytes(message) == Array("message \(next + position)".utf8))
                channel.release(message)
                released.append(message.poolOffset)
            }
            next += offsets.count
            for offset in try broker.consumeFrees(from: arena) {
                freed.append(offset)
                try broker.pool.free(offset: Int(offset))
            }
        }
        try channel.flushFrees()
        freed += try broker.consumeFrees(from: arena)
        #expect(broker.recvTail == UInt64(total))
        // Every slice came back in a FREE entry of the command ring, in release order.
        #expect(freed == released)
    }

    @Test("a broker whose recvTail runs more than a ring ahead of recvHead is a protocol violation, named")
    func impossibleReceiveTail() throws {
        let broker = try FakeBroker.start()
        let channel = broker.channel
        _ = broker.pool.publishReceives(oldTail: 0, newTail: UInt64(KDBusLimits.ringEntries + 1), clientHead: { 0 })
        do {
            _ = try channel.receive(timeoutMilliseconds: 1000)
            Issue.record("receive accepted an impossible recvTail")
        } catch {
            guard case .protocolViolation(let text) = error else { Issue.record("wrong error \(error)"); return }
            #expect(text.contains("recvTail \(KDBusLimits.ringEntries + 1)") && text.contains("impossible"), "\(text)")
        }
    }

    @Test("a receive asleep on the futex is woken by the broker's futex wake: no doorbell ring, no wait for the fallback")
    func wokenByFutex() async throws {
        var broker = try FakeBroker.start()
        let channel = broker.channel
        let arena = try broker.acceptArena()
        let rounds = 15
        let failure = Mutex<String?>(nil)
        let receiving = Thread {
            for _ in 0..<rounds {
                do { channel.release(try channel.receive(timeoutMilliseconds: 5_000)) } catch {
                    failure.withLock { $0 = "\(error)" }
                    return
                }
            }
        }
        receiving.start()
        var latencies: [Duration] = []
        var flagWasUp = true
        for round in 0..<rounds {
            // Let the receiver raise its flag and fall asleep (its futex window is 20 ms), then publish.
            let start = ContinuousClock.now
            while !arena.loadClientSleepsOnFutex(), ContinuousClock.now - start < .seconds(5) { usleep(50) }
            try await Task.sleep(for: .milliseconds(2))
            flagWasUp = flagWasUp && arena.loadClientSleepsOnFutex()
            let oldTail = broker.recvTail
            _ = try broker.writeReceive(Array("round \(round)".utf8))
            let published = ContinuousClock.now
            broker.publish(from: oldTail, clientHead: oldTail, arena: arena)
            while arena.loadReceiveHead() != broker.recvTail, failure.withLock({ $0 }) == nil {
                guard ContinuousClock.now - published < .seconds(5) else { break }
                usleep(50)
            }
            latencies.append(ContinuousClock.now - published)
        }
        #expect(failure.withLock { $0 } == nil)
        #expect(arena.loadReceiveHead() == UInt64(rounds))
        // A receiver left to its 20 ms window would take ~18 ms each round.
        let median = latencies.sorted()[rounds / 2]
        #expect(median < .milliseconds(10), "median wake-up \(median): the futex wake did not reach the sleeper")
        // The broker never rang: the client slept on the futex, so the doorbell stayed silent.
        // (Unless a stall of this machine outlasted a window and the flag was down at a publish.)
        let doorbell = DoorbellListener(adopting: try broker.bells.clientEnds.wakesClient.duplicate())
        if flagWasUp { #expect(try doorbell.drain() == .quiet) }
    }

    @Test("a broker that only rings the doorbell still wakes a futex sleeper: after the window, the client turns to the doorbell")
    func doorbellAfterTheWindow() async throws {
        var broker = try FakeBroker.start()
        let channel = broker.channel
        let arena = try broker.acceptArena()
        let received = Mutex(0)
        let receiving = Thread {
            for _ in 0..<3 {
                guard let message = try? channel.receive(timeoutMilliseconds: 5_000) else { return }
                channel.release(message)
                received.withLock { $0 += 1 }
            }
        }
        receiving.start()
        for round in 0..<3 {
            // Past the 20 ms window: the client has lowered its flag and polls the doorbell.
            try await Task.sleep(for: .milliseconds(40))
            let oldTail = broker.recvTail
            _ = try broker.writeReceive(Array("round \(round)".utf8))
            broker.publish(from: oldTail, clientHead: oldTail, arena: arena, ringOnly: true)
            let delivered = await eventually(within: .seconds(5)) { received.withLock { $0 } == round + 1 }
            #expect(delivered, "round \(round) never arrived")
        }
    }

    @Test("a broker that vanishes while the client sleeps on the futex is noticed: receive ends with endOfStream, not its timeout")
    func vanishedBrokerSeenFromTheFutex() throws {
        let channel: KDBusChannel
        do {
            let broker = try FakeBroker.start()
            channel = broker.channel
            _ = try broker.acceptArena()
        }  // the broker's socket, pool and doorbell ends close here
        let start = ContinuousClock.now
        do {
            _ = try channel.receive(timeoutMilliseconds: 5_000)
            Issue.record("receive returned a message from a broker that is gone")
        } catch {
            guard case .endOfStream = error else { Issue.record("wrong error \(error)"); return }
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }
}
