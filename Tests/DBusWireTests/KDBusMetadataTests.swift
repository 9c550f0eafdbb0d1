// KDBus metadata tests: items written from a sender's cache and a message stamp, read back typed.
import Testing
import TestSupport
@testable import DBusWire

@Suite struct KDBusMetadataTests {
    static let cache: KDBusMetadataCache = {
        var cache = KDBusMetadataCache()
        (cache.effectiveUID, cache.savedUID, cache.filesystemUID) = (1001, 1002, 1003)
        (cache.effectiveGID, cache.savedGID, cache.filesystemGID) = (2001, 2002, 2003)
        cache.parentPID = 77
        cache.comm = Array("probe".utf8)
        cache.executable = Array("/usr/bin/python3.12".utf8)
        cache.commandLine = Array("python3\0-c\0\0ünï\0".utf8)
        cache.cgroup = Array("/user.slice/app.scope".utf8)
        cache.capabilities = KDBusMetadata.Capabilities(lastCapability: 40, inheritable: 1, permitted: 0x1ff_ffff_ffff, effective: 0x20, bounding: 0x1ff_ffff_ffff)
        cache.securityLabel = Array("unconfined".utf8)
        cache.audit = KDBusMetadata.Audit(loginUID: 1000, sessionID: 4)
        cache.groups = [10, 20, 30]
        return cache
    }()

    static let stamp = KDBusMetadataStamp(
        processID: 4242, userID: 1000, groupID: 100,
        timestamp: KDBusMetadata.Timestamp(sequence: 9, monotonicNanoseconds: 123_456_789, realtimeNanoseconds: 1_700_000_000_000_000_000))

    static let names: [[UInt8]] = [Array("org.example.A".utf8), Array("org.example.B".utf8)]

    /// A slice holding only the metadata items, as `appendMetadata` writes them.
    private func slice(
        _ wanted: KDBusMetadataSet, cache: KDBusMetadataCache = cache, names: [[UInt8]] = names, pidfdIndex: UInt32? = 3,
        extra: Int = 0
    ) -> [UInt8] {
        let length = KDBusSliceWriter.metadataLength(wanted, cache: cache, names: names, pidfdIndex: pidfdIndex)
        var bytes = [UInt8](repeating: 0xEE, count: KDBusSliceHeader.size + length + extra)
        bytes.withUnsafeMutableBytes { buffer in
            var writer = KDBusSliceWriter(buffer: buffer)
            let written = writer.appendMetadata(wanted, stamp: Self.stamp, cache: cache, names: names, pidfdIndex: pidfdIndex)
            #expect(written)
            #expect(writer.position == KDBusSliceHeader.size + length, "metadataLength agrees with what was written")
            writer.finish(sequence: Self.stamp.timestamp.sequence)
        }
        return Array(bytes.prefix(KDBusSliceHeader.size + length))
    }

    private func decode(_ slice: [UInt8]) throws -> KDBusMetadata {
        try slice.withUnsafeBytes { buffer in try KDBusMetadata(slice: buffer) }
    }

    @Test func everyItemRoundTrips() throws {
        let decoded = try decode(slice(.all))
        var expected = KDBusMetadata()
        expected.credentials = .init(uid: 1000, euid: 1001, suid: 1002, fsuid: 1003, gid: 100, egid: 2001, sgid: 2002, fsgid: 2003)
        expected.processIDs = .init(pid: 4242, tid: 0, ppid: 77)
        expected.pidfdIndex = 3
        expected.comm = "probe"
        expected.executable = "/usr/bin/python3.12"
        expected.commandLine = ["python3", "-c", "", "ünï"]
        expected.cgroup = "/user.slice/app.scope"
        expected.capabilities = Self.cache.capabilities
        expected.securityLabel = "unconfined"
        expected.audit = Self.cache.audit
        expected.ownedNames = ["org.example.A", "org.example.B"]
        expected.timestamp = Self.stamp.timestamp
        expected.groups = [10, 20, 30]
        #expect(decoded == expected)
    }

    @Test func itemsAreWrittenInTypeOrderByteExact() throws {
        let bytes = slice([.credentials, .pids, .audit])
        #expect(Array(bytes[0..<16]) == [80, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0], "items: 40 + 24 + 16 bytes")
        #expect(Array(bytes[16..<24]) == [40, 0, 0, 0, 0x01, 0x10, 0, 0])
        #expect(Array(bytes[24..<28]) == [0xE8, 0x03, 0, 0], "uid 1000 from the stamp")
        #expect(Array(bytes[56..<64]) == [24, 0, 0, 0, 0x02, 0x10, 0, 0])
        #expect(Array(bytes[64..<80]) == [0x92, 0x10, 0, 0, 0, 0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0], "pid 4242, tid 0, ppid 77, reserved")
        #expect(Array(bytes[80..<96]) == [16, 0, 0, 0, 0x0A, 0x10, 0, 0, 0xE8, 0x03, 0, 0, 4, 0, 0, 0])
    }

    @Test func noneAsksForNothingAndGetsNothing() throws {
        #expect(KDBusSliceWriter.metadataLength([], cache: Self.cache, names: Self.names, pidfdIndex: 3) == 0)
        #expect(try decode(slice([])) == KDBusMetadata())
    }

    @Test func onlyTheRequestedItemsAreWritten() throws {
        let items = try KDBusSliceReader.read(slice([.pids, .timestamp, .ownedNames])).items
        #expect(items.map(\.type) == [.pids, .ownedNames, .timestamp])
    }

    @Test func itemsWithoutAValueAreLeftOut() throws {
        var cache = KDBusMetadataCache()
        cache.comm = Array("x".utf8)
        let decoded = try decode(slice(.all, cache: cache, names: [], pidfdIndex: nil))
        #expect(decoded.pidfdIndex == nil && decoded.executable == nil && decoded.commandLine == nil)
        #expect(decoded.ownedNames == nil && decoded.groups == nil && decoded.capabilities == nil && decoded.audit == nil)
        #expect(decoded.comm == "x")
        let unknown = KDBusMetadataCache.unknownID
        #expect(decoded.credentials == .init(uid: 1000, euid: unknown, suid: unknown, fsuid: unknown, gid: 100, egid: unknown, sgid: unknown, fsgid: unknown))
    }

    @Test func longTextIsCutTo64KiBAndStaysTerminated() throws {
        var cache = Self.cache
        cache.comm = [UInt8](repeating: UInt8(ascii: "c"), count: 70_000)
        cache.commandLine = [UInt8](repeating: UInt8(ascii: "a"), count: 99_999) + [0]
        cache.groups = Array(0..<20_000)
        let names = (0..<5_000).map { Array("org.example.Name\($0)".utf8) }
        let bytes = slice([.comm, .cmdline, .ownedNames, .groups], cache: cache, names: names)
        let contents = try KDBusSliceReader.read(bytes)
        #expect(contents.items.allSatisfy { $0.payload.count + KDBusItem.headerSize <= KDBusLimits.maxItemSize })
        let decoded = try decode(bytes)
        #expect(decoded.comm?.utf8.count == KDBusSliceWriter.maxTextPayload - 1)
        #expect(decoded.commandLine?.count == 1 && decoded.commandLine?[0].utf8.count == KDBusSliceWriter.maxTextPayload - 1)
        let kept = try #require(decoded.ownedNames)
        #expect(kept == names.prefix(kept.count).map { String(decoding: $0, as: UTF8.self) }, "whole names, in order")
        #expect(kept.count > 2_000 && kept.count < 5_000)
        #expect(decoded.groups == Array(0..<UInt32(KDBusSliceWriter.maxGroups)))
    }

    @Test func aShortSliceTakesOnlyWholeItems() {
        var bytes = [UInt8](repeating: 0, count: KDBusSliceHeader.size + 40 + 20)
        bytes.withUnsafeMutableBytes { buffer in
            var writer = KDBusSliceWriter(buffer: buffer)
            let written = writer.appendMetadata([.credentials, .pids], stamp: Self.stamp, cache: Self.cache, names: [], pidfdIndex: nil)
            #expect(!written)
            #expect(writer.position == KDBusSliceHeader.size + 40)
        }
    }

    /// Random caches and sets: the length agrees with the writer and everything decodes.
    @Test func randomCachesAndSetsRoundTrip() throws {
        var random = SeededRandom(seed: 0x6b6d657461)
        for _ in 0..<200 {
            var cache = KDBusMetadataCache()
            func text() -> [UInt8]? { Bool.random(using: &random) ? (0..<Int.random(in: 0..<300, using: &random)).map { _ in UInt8.random(in: 1...255, using: &random) } : nil }
            (cache.comm, cache.executable, cache.cgroup, cache.securityLabel) = (text(), text(), text(), text())
            cache.commandLine = text().map { $0 + [0] }
            cache.groups = (0..<Int.random(in: 0..<5, using: &random)).map { _ in UInt32.random(in: 0...UInt32.max, using: &random) }
            let names = (0..<Int.random(in: 0..<4, using: &random)).map { Array("a.b\($0)".utf8) }
            let wanted = KDBusMetadataSet(rawValue: UInt64.random(in: 0..<(1 << 13), using: &random))
            let decoded = try decode(slice(wanted, cache: cache, names: names, pidfdIndex: Bool.random(using: &random) ? 1 : nil))
            #expect((decoded.comm != nil) == (wanted.contains(.comm) && cache.comm != nil))
            #expect(decoded.comm == (wanted.contains(.comm) ? cache.comm.map { String(decoding: $0, as: UTF8.self) } : nil))
            #expect(decoded.groups == (wanted.contains(.groups) && !cache.groups.isEmpty ? cache.groups : nil))
            #expect(decoded.timestamp == (wanted.contains(.timestamp) ? Self.stamp.timestamp : nil))
        }
    }

    // MARK: - Decoder checks

    private func mutated(_ wanted: KDBusMetadataSet, _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes = slice(wanted)
        change(&bytes)
        return bytes
    }

    private func expectError(_ bytes: [UInt8], _ expected: KDBusMetadataError) {
        #expect(throws: expected) { _ = try decode(bytes) }
    }

    @Test func aDuplicateItemIsRefused() {
        var bytes = slice([.pids, .timestamp])
        bytes[44] = 0x02  // the timestamp item's type becomes pids (24-byte payload: wrong size first)
        expectError(bytes, KDBusMetadataError(.slice(.wrongPayloadSize(type: .pids, expected: 16, found: 24)), offset: 40))
        var twice = slice([.pids])
        let item = Array(twice[16..<40])
        twice += item
        twice[0] = 48
        expectError(twice, KDBusMetadataError(.duplicateItem(.pids), offset: 40))
    }

    @Test func reservedWordsMustBeZero() {
        expectError(mutated([.pids]) { $0[36] = 1 }, KDBusMetadataError(.reservedNotZero(.pids, 1), offset: 16))
        expectError(mutated([.pidfd]) { $0[28] = 2 }, KDBusMetadataError(.reservedNotZero(.pidfd, 2), offset: 16))
        expectError(mutated([.capabilities]) { $0[28] = 3 }, KDBusMetadataError(.reservedNotZero(.capabilities, 3), offset: 16))
    }

    @Test func groupsMustBeWholeWords() {
        // 3 groups = 12 bytes; claim 10.
        expectError(mutated([.groups]) { $0[16] = 18 }, KDBusMetadataError(.groupsSize(10), offset: 16))
    }

    @Test func anEmptyNameIsRefused() {
        // "org.example.A\0org.example.B\0" → make the 'o' of the second name a NUL: "…A\0\0rg.example.B\0".
        expectError(mutated([.ownedNames]) { $0[24 + 14] = 0 }, KDBusMetadataError(.emptyName, offset: 16))
    }

    @Test func framingErrorsArePassedOn() {
        expectError(mutated([.comm]) { $0[24 + 5] = UInt8(ascii: "x") }, KDBusMetadataError(.slice(.unterminatedText(.comm)), offset: 16))
        expectError(Array(slice([.comm]).prefix(20)), KDBusMetadataError(.slice(.truncated(needed: 32, available: 20)), offset: 0))
    }

    @Test func unknownItemsArePassedOver() throws {
        let decoded = try decode(mutated([.comm, .audit]) { $0[20] = 0x7F })
        #expect(decoded.comm == nil && decoded.audit == Self.cache.audit)
    }
}
