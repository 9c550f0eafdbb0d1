// KDBus Payload Tests: large byte arrays as sealed memfd parts through swiftbusd, to pool and classic receivers.
import Foundation
import DBusWire
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

    @Test("a 10 MiB string, larger than the send arena and no byte array, travels both ways between every pair",
          arguments: Side.allCases, Side.allCases)
    func largeString(server: Side, client: Side) async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: server.options, client: client.options)
        let text = String(repeating: "swiftbus ", count: 10 * 1024 * 1024 / 9)
        let echoed = try await pair.proxy.call(TestInterface.echo, Variant(.string(text)), timeout: .seconds(60))
        #expect(echoed.value == .string(text))
        let (small, _) = try await pair.proxy.call(TestInterface.digest, [1, 2, 3])
        #expect(small == 3, "both connections are still up")
    }

    @Test("17 byte arrays of 2 MiB, one more than a message's memfd parts, travel in a variant both ways", arguments: Side.allCases)
    func moreArraysThanMemfdParts(server: Side) async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: server.options, client: .default)
        let arrays = (0..<17).map { DBusValue.bytes(patternPayload(2 * 1024 * 1024, seed: UInt8($0))) }
        let value = DBusValue.array(element: .array(.byte), arrays)
        let echoed = try await pair.proxy.call(TestInterface.echo, Variant(value), timeout: .seconds(60))
        #expect(echoed.value == value)
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

    @Test("a 1 GiB byte array, past D-Bus's limits, travels pool to pool as a call and as a reply; a classic receiver's caller gets LimitsExceeded")
    func oneGiB() async throws {
        let payload = patternPayload(1 << 30, seed: 11)
        let clock = ContinuousClock()
        let pool = try await ServedPair(on: .swiftbusd, server: Side.kdbus.options, client: .default)
        let start = clock.now
        let (count, digest) = try await pool.proxy.call(TestInterface.digest, payload, timeout: .seconds(120))
        print("1 GiB ay, kdbus client → kdbus server: \(clock.now - start)")
        #expect(count == UInt64(payload.count))
        #expect(digest == payloadDigest(payload))
        let replyStart = clock.now
        let made = try await pool.proxy.call(TestInterface.makePayload, UInt32(1 << 30), timeout: .seconds(120))
        print("1 GiB MemfdPayload reply, kdbus server → kdbus client: \(clock.now - replyStart)")
        #expect(made.count == 1 << 30)
        // The pattern's byte i is (seed + i) mod 251: check both ends without making 1 GiB again.
        let size = 1 << 30
        let positions = [0, 1, 2, size - 3, size - 2, size - 1]
        let ends: [UInt8] = try made.withUnsafeBytes { bytes in positions.map { bytes[$0] } }
        let expected: [UInt8] = positions.map { UInt8((3 + $0) % 251) }
        #expect(ends == expected, "the reply's bytes arrived as made")

        let classic = try await ServedPair(on: .swiftbusd, server: Side.classic.options, client: .default)
        do {
            _ = try await classic.proxy.call(TestInterface.digest, payload, timeout: .seconds(120))
            Issue.record("a classic receiver was sent 1 GiB")
        } catch let error as DBusError {
            #expect(error.name == "org.freedesktop.DBus.Error.LimitsExceeded")
            #expect(error.message.contains("is a classic connection"), "\(error)")
        }
        let (small, _) = try await classic.proxy.call(TestInterface.digest, [1, 2, 3])
        #expect(small == 3, "the caller and the classic receiver are still served")
    }

    @Test("on a classic connection a message past D-Bus's limits is refused before it is sent, with the limit named")
    func classicSenderRefusesOversized() async throws {
        let pair = try await ServedPair(on: .swiftbusd, server: Side.kdbus.options, client: Side.classic.options)
        let payload = patternPayload(ProtocolLimits.maxArrayLength + 1, seed: 1)
        let error = await #expect(throws: ConnectionError.self) { try await pair.proxy.call(TestInterface.digest, payload) }
        #expect("\(error.map { $0 } as Any)".contains("the limit is \(ProtocolLimits.maxArrayLength)"), "\(error.map { $0 } as Any)")
        let (small, _) = try await pair.proxy.call(TestInterface.digest, [1, 2, 3])
        #expect(small == 3)
    }
}
