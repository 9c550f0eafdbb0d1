// Memfd Payload Tests: the sealed-memfd byte array as a value, and as an argument on every bus.
import BusPlatform
import Glibc
import SwiftBus
import Testing

@Suite("MemfdPayload")
struct MemfdPayloadTests {
    @Test("a payload holds its bytes in a memfd sealed against writes, shrink and grow")
    func sealed() throws {
        let payload = try MemfdPayload(patternPayload(10_000))
        #expect(payload.count == 10_000)
        #expect(try payload.bytes == patternPayload(10_000))
        #expect(try payload.withUnsafeBytes { $0.count } == 10_000)
    }

    @Test("adopting a memfd seals it; one with a writable mapping cannot be adopted")
    func adopting() throws {
        let bytes = patternPayload(8192, seed: 9)
        let file = try MemoryFile.create(name: "user-payload", size: bytes.count)
        _ = try bytes.withUnsafeBytes { try file.write($0, atOffset: 0) }
        let raw = file.rawValue
        let payload = try MemfdPayload(sealing: file)
        #expect(try payload.bytes == bytes)
        // Sealed: writing through the descriptor number the payload now owns fails.
        let written = bytes.withUnsafeBytes { pwrite(raw, $0.baseAddress, 1, 0) }
        #expect(written == -1 && errno == EPERM)

        let mapped = try MemoryFile.create(name: "still-mapped", size: 4096)
        let mapping = try MappedRegion.map(mapped, length: 4096, protection: [.read, .write])
        var refused: MemfdPayloadError?
        do { _ = try MemfdPayload(sealing: mapped) } catch { refused = error }
        #expect(refused?.errno == .busy)
        _ = mapping.count
    }

    @Test("a MemfdPayload argument and result travel as ordinary bytes on a classic connection",
          arguments: TestBus.available)
    func asArgument(bus: TestBus) async throws {
        let pair = try await ServedPair(on: bus, server: .classicOnly, client: .classicOnly)
        let bytes = patternPayload(100_000, seed: 1)
        let payload = try MemfdPayload(bytes)
        let (count, reversed) = try await pair.client.call(
            destination: pair.server.uniqueName, path: ServedPair.path, interface: TestInterface.name, member: "Bytes",
            payload, returning: (UInt32, [UInt8]).self)
        #expect(count == 100_000 && reversed.elementsEqual(bytes.reversed()))
        let (length, digest, parts) = try await pair.proxy.call(TestInterface.payloadInfo, payload)
        #expect(length == 100_000 && digest == payloadDigest(bytes) && parts == 0)
        let made = try await pair.proxy.call(TestInterface.makePayload, 70_000)
        #expect(try made.bytes == patternPayload(70_000, seed: 3))
    }
}
