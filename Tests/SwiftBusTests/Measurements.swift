// Measurements: call latency and connect time through each bus; run on demand, not a test.
//
// SWIFTBUS_MEASURE=1 swift test --skip-build --filter Measurements   (add -c release for release figures)
import Foundation
import SwiftBus
import Testing

@Suite("Measurements", .enabled(if: ProcessInfo.processInfo.environment["SWIFTBUS_MEASURE"] == "1"), .serialized)
struct Measurements {
    /// Calls timed per bus; enough for a stable median on a shared two-core machine.
    static let callCount = 2_000
    static let connectCount = 50

    @Test("round trip of a typed call between two SwiftBus connections", arguments: TestBus.available)
    func callLatency(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus)
        var samples: [Duration] = []
        samples.reserveCapacity(Self.callCount)
        let clock = ContinuousClock()
        for _ in 0..<100 { _ = try await pair.proxy.call(TestInterface.add, 1, 2) }
        for _ in 0..<Self.callCount {
            let start = clock.now
            _ = try await pair.proxy.call(TestInterface.add, 1, 2)
            samples.append(clock.now - start)
        }
        report("call+reply", bus, samples)
    }

    @Test("round trip through swiftbusd, each side classic or on the kdbus transport",
          .enabled(if: TestBus.available.contains(.swiftbusd)), arguments: Side.allCases, Side.allCases)
    func transportLatency(client: Side, server: Side) async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: server.options, client: client.options)
        #expect(pair.client.transport == client.transport && pair.server.transport == server.transport)
        var samples: [Duration] = []
        samples.reserveCapacity(Self.callCount)
        let clock = ContinuousClock()
        for _ in 0..<100 { _ = try await pair.proxy.call(TestInterface.add, 1, 2) }
        for _ in 0..<Self.callCount {
            let start = clock.now
            _ = try await pair.proxy.call(TestInterface.add, 1, 2)
            samples.append(clock.now - start)
        }
        report("call+reply (client \(client), server \(server))", .swiftbusd, samples)
    }

    @Test("connect: socket, SASL, Hello (swiftbusd: on the kdbus transport and classic only)", arguments: TestBus.available)
    func connectTime(bus: TestBus) async throws {
        let address = try bus.address()
        for side in bus == .swiftbusd ? Side.allCases.reversed() : [Side.kdbus] {
            var samples: [Duration] = []
            let clock = ContinuousClock()
            for _ in 0..<Self.connectCount {
                let start = clock.now
                let connection = try await Connection.connect(to: address, options: side.options)
                samples.append(clock.now - start)
                connection.close()
            }
            report(bus == .swiftbusd ? "connect (\(side))" : "connect", bus, samples)
        }
    }

    private func report(_ what: String, _ bus: TestBus, _ samples: [Duration]) {
        let sorted = samples.sorted()
        let micro = { (d: Duration) in Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6 }
        let median = micro(sorted[sorted.count / 2])
        let p99 = micro(sorted[sorted.count * 99 / 100])
        print("MEASURE \(what) via \(bus.rawValue): median \(Int(median)) µs, p99 \(Int(p99)) µs over \(samples.count)")
    }
}
