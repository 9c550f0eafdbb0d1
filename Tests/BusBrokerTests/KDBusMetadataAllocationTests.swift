// KDBus metadata allocation: writing a receiver's items allocates nothing (malloc calls counted).
import DBusWire
import Testing

/// The broker writes metadata items on its message path, once per receiver; like a match
/// lookup, that must not allocate (`MallocCallCounter`, uprobes on the C allocator).
@Suite(.enabled(if: MallocCallCounter.isAvailable, "needs uprobe perf events (root)"))
struct KDBusMetadataAllocationTests {
    @Test func writingEveryItemAllocatesNothing() throws {
        let counter = try #require(MallocCallCounter())
        var cache = KDBusMetadataCache()
        cache.comm = Array("sender".utf8)
        cache.executable = Array("/usr/bin/sender".utf8)
        cache.commandLine = Array("sender\0--flag\0".utf8)
        cache.cgroup = Array("/user.slice".utf8)
        cache.securityLabel = Array("unconfined".utf8)
        cache.capabilities = .init(lastCapability: 40, inheritable: 0, permitted: 1, effective: 1, bounding: 3)
        cache.audit = .init(loginUID: 1000, sessionID: 2)
        cache.groups = [1, 2, 3]
        let names = [Array("org.example.A".utf8), Array("org.example.B".utf8)]
        let stamp = KDBusMetadataStamp(processID: 1, userID: 2, groupID: 3, timestamp: .init(sequence: 4, monotonicNanoseconds: 5, realtimeNanoseconds: 6))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var written = 0
        func writeMany() {
            for _ in 0..<1000 {
                let length = KDBusSliceWriter.metadataLength(.all, cache: cache, names: names, pidfdIndex: 0)
                var writer = KDBusSliceWriter(buffer: buffer)
                if writer.appendMetadata(.all, stamp: stamp, cache: cache, names: names, pidfdIndex: 0) {
                    written += length
                }
            }
        }
        writeMany()  // warm-up: runtime metadata made on first use is not per message
        written = 0
        let calls = counter.calls { writeMany() }
        #expect(calls == 0)
        #expect(written == 1000 * KDBusSliceWriter.metadataLength(.all, cache: cache, names: names, pidfdIndex: 0))
    }
}
