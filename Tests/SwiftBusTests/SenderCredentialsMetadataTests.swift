// Sender credentials tests: the library's typed view of a slice's metadata items.
import Glibc
import Testing
import SwiftBus

@Suite struct SenderCredentialsMetadataTests {
    private func credentials(_ wanted: KDBusMetadataSet, cache: KDBusMetadataCache, names: [[UInt8]]) throws -> SenderCredentials {
        let stamp = KDBusMetadataStamp(
            processID: 321, userID: 1000, groupID: 100,
            timestamp: .init(sequence: 5, monotonicNanoseconds: 11, realtimeNanoseconds: 22))
        let length = KDBusSliceHeader.size + KDBusSliceWriter.metadataLength(wanted, cache: cache, names: names, pidfdIndex: nil)
        var bytes = [UInt8](repeating: 0, count: length)
        bytes.withUnsafeMutableBytes { buffer in
            var writer = KDBusSliceWriter(buffer: buffer)
            _ = writer.appendMetadata(wanted, stamp: stamp, cache: cache, names: names, pidfdIndex: nil)
            writer.finish(sequence: 5)
        }
        let metadata = try bytes.withUnsafeBytes { try KDBusMetadata(slice: $0) }
        return SenderCredentials(metadata, asked: wanted)
    }

    @Test func perMessageAndCachedFieldsLandInTheirPlaces() throws {
        var cache = KDBusMetadataCache()
        (cache.effectiveUID, cache.savedUID) = (0, 1)
        cache.parentPID = 9
        cache.comm = Array("worker".utf8)
        cache.commandLine = Array("worker\0--flag\0".utf8)
        cache.capabilities = .init(lastCapability: 40, inheritable: 0, permitted: 1 << 21, effective: 1 << 21, bounding: 0)
        cache.audit = .init(loginUID: 1000, sessionID: 3)
        let sender = try credentials(.all, cache: cache, names: [Array("org.example.Worker".utf8)])
        #expect(sender.processID == 321 && sender.userID == 1000 && sender.groupID == 100)
        #expect(sender.sequence == 5 && sender.monotonicNanoseconds == 11 && sender.realtimeNanoseconds == 22)
        #expect(sender.ownedNames == ["org.example.Worker"])
        #expect(sender.effectiveUserID == 0 && sender.savedUserID == 1)
        #expect(sender.filesystemUserID == nil, "unknown ids are nil, not 4294967295")
        #expect(sender.parentProcessID == 9)
        #expect(sender.comm == "worker" && sender.commandLine == ["worker", "--flag"])
        #expect(sender.hasEffectiveCapability(21) == true && sender.hasEffectiveCapability(0) == false)
        #expect(sender.loginUID == 1000 && sender.sessionID == 3)
        #expect(sender.executable == nil && sender.securityLabel == nil && sender.processDescriptor == nil)
    }

    @Test func namesAskedForButNoneOwnedIsEmptyNotNil() throws {
        #expect(try credentials([.ownedNames], cache: KDBusMetadataCache(), names: []).ownedNames == [])
        #expect(try credentials([.pids], cache: KDBusMetadataCache(), names: [Array("a.b".utf8)]).ownedNames == nil)
    }

    @Test func nothingAskedGivesNothing() throws {
        let sender = try credentials([], cache: KDBusMetadataCache(), names: [])
        #expect(sender.processID == nil && sender.userID == nil && sender.sequence == nil && sender.comm == nil)
        #expect(sender.hasEffectiveCapability(1) == nil)
    }
}
