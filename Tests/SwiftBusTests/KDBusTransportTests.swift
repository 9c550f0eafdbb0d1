// KDBus Transport Tests: a SwiftBus connection on swiftbusd's pool transport, with classic peers alongside.
import BusPlatform
import Foundation
@testable import SwiftBus
import Testing

@Suite("kdbus transport on swiftbusd", .enabled(if: TestBus.available.contains(.swiftbusd)), .serialized)
struct KDBusTransportTests {
    @Test("a default connection to swiftbusd is on the pool transport; .classicOnly stays classic")
    func negotiated() async throws {
        let address = try TestBus.swiftbusd.address()
        let pooled = try await Connection.connect(to: address)
        let classic = try await Connection.connect(to: address, options: .classicOnly)
        #expect(pooled.transport == .kdbus)
        #expect(classic.transport == .classic)
        #expect(pooled.canPassFileDescriptors)
        #expect(try await pooled.bus.getNameOwner(classic.uniqueName) == classic.uniqueName)
        #expect(try await classic.bus.getNameOwner(pooled.uniqueName) == pooled.uniqueName)
    }

    @Test("calls, replies, errors, signals, no-reply calls and fds between every pair of transports",
          arguments: Side.allCases, Side.allCases)
    func everyDirection(server: Side, client: Side) async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: server.options, client: client.options)
        #expect(pair.server.transport == server.transport && pair.client.transport == client.transport)
        #expect(try await pair.proxy.call(TestInterface.add, 40, 2) == 42)
        let nested = try Variant(["a": [Int32(1), 2], "b": []])
        #expect(try await pair.proxy.call(TestInterface.echo, nested).get([String: [Int32]].self) == ["a": [1, 2], "b": []])
        do {
            _ = try await pair.proxy.call(TestInterface.divide, 1, 0)
            Issue.record("division by zero returned")
        } catch let error as DBusError {
            #expect(error.name == "org.swiftbus.Error.DivisionByZero")
            #expect(error.message == "cannot divide 1 by zero")
        }
        let ticks = try await pair.proxy.signals(TestInterface.ticked)
        try await pair.proxy.call(TestInterface.emit, "hello")
        let tick = await firstElement(of: ticks)
        #expect(tick?.0 == "hello" && tick?.1 == 5)
        try pair.proxy.callWithoutReply(TestInterface.record, "one-way")
        #expect(try await eventually { try await pair.proxy.call(TestInterface.recorded) == ["one-way"] })

        let received = try await pair.proxy.call(TestInterface.openPipe, "from the server")
        guard let readEnd = received.take() else {
            Issue.record("the received fd was already taken")
            return
        }
        #expect(try readText(readEnd) == "from the server")
        let pipe = try BusPlatform.Pipe.make()
        let reader = pipe.readEnd
        try await pair.proxy.call(TestInterface.writeTo, UnixFD(pipe.writeEnd), "from the client")
        #expect(try readText(reader) == "from the client")
    }

    @Test("more than a send arena holds, sent at once: the sender reuses space as the broker consumes it")
    func arenaWraps() async throws {
        let smallArena = ConnectionOptions(kdbusOffer: KDBusOffer(arenaSize: KDBusLimits.minRegionSize))
        let pair = try await ServedPair(on: .swiftbusd, client: smallArena)
        #expect(pair.client.transport == .kdbus && pair.server.transport == .kdbus)
        // 40 × 20 KiB through an arena with 60 KiB for messages: the ring wraps many times,
        // and calls queued in one burst must wait for the broker's consumed count.
        let size = 20 * 1024
        let payloads = (0..<40).map { patternPayload(size, seed: UInt8($0)) }
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for payload in payloads {
                group.addTask {
                    let (count, reversed) = try await pair.proxy.call(TestInterface.bytes, payload)
                    return count == UInt32(size) && reversed.elementsEqual(payload.reversed())
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == payloads.count && results.allSatisfy { $0 })
        let waits = pair.client.core.state.withLock { $0.arenaWaits }
        print("arena full \(waits) times while sending \(payloads.count) × 20 KiB")
        #expect(waits > 0)
    }

    @Test("a stalled subscriber loses broadcasts once its pool is full, and is told exactly how many")
    func broadcastsLost() async throws {
        let address = try TestBus.swiftbusd.address()
        let smallPool = ConnectionOptions(kdbusOffer: KDBusOffer(poolSize: KDBusLimits.minRegionSize))
        let subscriber = try await Connection.connect(to: address, options: smallPool)
        let emitter = try await Connection.connect(to: address, options: .classicOnly)
        #expect(subscriber.transport == .kdbus)
        let rule = TestInterface.ticked.matchRule(sender: emitter.uniqueName, path: ServedPair.path)
        let stream = try await subscriber.messages(matching: rule)
        let losses = subscriber.broadcastLosses()
        subscriber.core.setReceivingPaused(true)
        // 1 KiB signals: a 64 KiB pool holds fewer than 64 of them.
        let sent = 200
        let padding = String(repeating: "x", count: 1024)
        for index in 0..<sent {
            try emitter.emit(TestInterface.ticked, from: ServedPair.path, padding, UInt32(index))
        }
        // A round trip through the bus after the signals: they have all been routed by then.
        _ = try await emitter.bus.getId()
        subscriber.core.setReceivingPaused(false)
        // The broker reports losses just before the next message it puts in the pool: a reply
        // to a call made after resuming is one, and it comes after every signal that fit.
        _ = try await subscriber.bus.getId()
        let lost = Int(subscriber.broadcastsLost)
        let received = await count(stream, upTo: sent - lost, within: .seconds(10))
        // The broker may report in several records (one before each RECV it wrote after drops).
        let reports = await collect(losses, untilTotal: UInt64(lost), within: .seconds(5))
        print("broadcasts: \(sent) sent, \(received) received, \(lost) reported lost in \(reports.count) reports")
        #expect(lost > 0 && received > 0)
        #expect(received == sent - lost)
        #expect(reports.reduce(0) { $0 + $1.count } == UInt64(lost))
        #expect(reports.last?.total == UInt64(lost))
    }

    /// Loss reports until one says `total` (or `within` passed).
    private func collect(_ losses: AsyncStream<BroadcastLoss>, untilTotal total: UInt64, within: Duration) async -> [BroadcastLoss] {
        await withTaskGroup(of: [BroadcastLoss]?.self) { group in
            group.addTask {
                var reports: [BroadcastLoss] = []
                for await report in losses {
                    reports.append(report)
                    if report.total >= total { break }
                }
                return reports
            }
            group.addTask {
                try? await Task.sleep(for: within)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }

    /// Counts elements of `stream` until `limit` arrived or `within` passed.
    private func count<S: AsyncSequence & Sendable>(_ stream: S, upTo limit: Int, within: Duration) async -> Int where S.Element: Sendable {
        await withTaskGroup(of: Int?.self) { group in
            group.addTask {
                var count = 0
                do {
                    for try await _ in stream {
                        count += 1
                        if count >= limit { break }
                    }
                } catch {}
                return count
            }
            group.addTask {
                try? await Task.sleep(for: within)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? -1
        }
    }
}
