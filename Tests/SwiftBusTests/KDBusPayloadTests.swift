// KDBus Payload Tests: large byte arrays as sealed memfd parts through swiftbusd, to pool and classic receivers.
import Foundation
import SwiftBus
import Testing

@Suite("kdbus memfd payloads on swiftbusd", .enabled(if: TestBus.available.contains(.swiftbusd)), .serialized)
struct KDBusPayloadTests {
    @Test("byte arrays of 1 KiB and 3 MiB (a memfd part) arrive whole, both ways, between every pair",
          arguments: Side.allCases, Side.allCases)
    func largeArrays(server: Side, client: Side) async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: server.options, client: client.options)
        for size in [1024, 3 * 1024 * 1024] {
            let payload = patternPayload(size, seed: UInt8(size % 200))
            let (count, reversed) = try await pair.proxy.call(TestInterface.bytes, payload)
            #expect(count == UInt32(size))
            #expect(reversed.count == size && reversed.elementsEqual(payload.reversed()))
        }
    }

    @Test("a 64 MiB byte array travels as a memfd part: pool to pool and pool to classic", arguments: Side.allCases)
    func sixtyFourMiB(server: Side) async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: server.options, client: .default)
        let payload = patternPayload(64 * 1024 * 1024, seed: 7)
        let clock = ContinuousClock()
        let start = clock.now
        let (count, digest) = try await pair.proxy.call(TestInterface.digest, payload, timeout: .seconds(60))
        print("64 MiB ay, kdbus client → \(server) server: \(clock.now - start)")
        #expect(count == UInt64(payload.count))
        #expect(digest == payloadDigest(payload))
    }

    @Test("a MemfdPayload travels as its own memfd, whatever its size; a classic receiver gets bytes", arguments: Side.allCases)
    func memfdPayload(server: Side) async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: server.options, client: .default)
        let bytes = patternPayload(100_000, seed: 5)
        let (length, digest, parts) = try await pair.proxy.call(TestInterface.payloadInfo, try MemfdPayload(bytes))
        #expect(length == 100_000 && digest == payloadDigest(bytes))
        #expect(parts == (server == .kdbus ? 1 : 0))
        let made = try await pair.proxy.call(TestInterface.makePayload, 3 * 1024 * 1024)
        #expect(try made.bytes == patternPayload(3 * 1024 * 1024, seed: 3))
    }
}
