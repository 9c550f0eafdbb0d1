// Match Index: a lookup allocates nothing (malloc calls counted by the kernel)
import Testing
import TestSupport
import Glibc
import DBusWire
@testable import BusBroker

/// Counts the calls this thread makes to the C allocator (malloc, calloc, realloc,
/// posix_memalign, aligned_alloc), with one kernel uprobe counter per function
/// (`perf_event_open`, PMU "uprobe", counting only the calling thread). Every Swift heap
/// allocation ends in one of them, and so does any C allocation, while allocations and frees on
/// other test threads are not counted. Needs the privilege to open uprobe events (root, or
/// `perf_event_paranoid` permitting); without it the tests that use it are skipped.
final class MallocCallCounter {
    private var descriptors: [Int32] = []

    static let functions = ["malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc"]

    /// Whether the counter can be opened here.
    static let isAvailable: Bool = MallocCallCounter() != nil

    /// `process`: 0 for this thread; a pid for that process's main thread (a broker's event loop).
    init?(process: Int32 = 0) {
        guard let pmuType = Self.uprobePMUType() else { return nil }
        for name in Self.functions {
            guard let (path, offset) = Self.fileLocation(of: name) else { continue }
            let descriptor = path.withCString { Self.openCounter(pmuType: pmuType, path: $0, offset: offset, process: process) }
            guard descriptor >= 0 else {
                descriptors.forEach { _ = close($0) }
                return nil
            }
            descriptors.append(descriptor)
        }
        if descriptors.isEmpty { return nil }
    }

    deinit { descriptors.forEach { _ = close($0) } }

    /// Calls so far, summed over the functions. Reads into a stack value in a plain loop, so
    /// that taking the reading allocates nothing itself.
    func total() -> UInt64 {
        var sum: UInt64 = 0
        var value: UInt64 = 0
        for index in descriptors.indices {
            value = 0
            if read(descriptors[index], &value, MemoryLayout<UInt64>.size) == MemoryLayout<UInt64>.size { sum += value }
        }
        return sum
    }

    /// The number of allocator calls `body` makes on this thread.
    func calls(in body: () -> Void) -> UInt64 {
        let before = total()
        body()
        return total() - before
    }

    // MARK: - perf_event_open without a C shim

    private static let perfAttributeSize = 112  // PERF_ATTR_SIZE_VER5
    private static let excludeKernelFlag: UInt64 = 1 << 5
    #if arch(x86_64)
    private static let perfEventOpenNumber = 298
    #elseif arch(arm64)
    private static let perfEventOpenNumber = 241
    #else
    private static let perfEventOpenNumber = -1
    #endif

    private static func uprobePMUType() -> UInt32? {
        guard let file = fopen("/sys/bus/event_source/devices/uprobe/type", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return UInt32(text)
    }

    /// `syscall(2)` is variadic, which Swift cannot call directly; on x86-64 and arm64 Linux a
    /// variadic call passes integer arguments exactly as a fixed one does.
    private typealias Syscall6 = @convention(c) (Int, UnsafeRawPointer, Int32, Int32, Int32, UInt) -> Int

    private static func openCounter(pmuType: UInt32, path: UnsafePointer<CChar>, offset: UInt64, process: Int32) -> Int32 {
        guard perfEventOpenNumber > 0, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syscall") else {
            return -1
        }
        let syscall6 = unsafeBitCast(symbol, to: Syscall6.self)
        var attributes = [UInt8](repeating: 0, count: perfAttributeSize)
        attributes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: pmuType, toByteOffset: 0, as: UInt32.self)  // type
            raw.storeBytes(of: UInt32(perfAttributeSize), toByteOffset: 4, as: UInt32.self)  // size
            raw.storeBytes(of: excludeKernelFlag, toByteOffset: 40, as: UInt64.self)  // flags: enabled now
            raw.storeBytes(of: UInt64(UInt(bitPattern: path)), toByteOffset: 56, as: UInt64.self)  // uprobe_path
            raw.storeBytes(of: offset, toByteOffset: 64, as: UInt64.self)  // probe_offset
        }
        // pid 0, cpu -1: this thread, on any CPU (or that process's first thread).
        return attributes.withUnsafeBytes { Int32(truncatingIfNeeded: syscall6(perfEventOpenNumber, $0.baseAddress!, process, -1, -1, 0)) }
    }

    /// The file that defines `name` and the file offset of its first instruction, from the
    /// mapping that holds its address in /proc/self/maps (start-end perms offset dev inode path).
    private static func fileLocation(of name: String) -> (String, UInt64)? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        let address = UInt64(UInt(bitPattern: symbol))
        guard let file = fopen("/proc/self/maps", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
                  let mappingOffset = UInt64(fields[2], radix: 16), address >= start, address < end
            else { continue }
            return (fields[5...].joined(separator: " "), address - start + mappingOffset)
        }
        return nil
    }
}

@Suite(.enabled(if: MallocCallCounter.isAvailable, "needs uprobe perf events (root)"))
struct MatchIndexAllocationTests {
    static let lookups = 1000

    /// A busy index: every shape the model test uses, names owned, eavesdroppers present.
    static func busyIndex() throws -> MatchIndex {
        var generator = MatchScenarioGenerator(random: SeededRandom(seed: 99))
        var index = MatchIndex()
        for name in generator.wellKnown { index.nameOwnerChanged(name, newOwner: generator.pick(generator.peers)) }
        for _ in 0..<2000 { try index.add(generator.rule(), owner: generator.pick(generator.peers)) }
        return index
    }

    /// The counter must be able to fail: a loop that allocates is seen, once per allocation.
    @Test func theCounterSeesEachAllocation() throws {
        let counter = try #require(MallocCallCounter())
        var kept: [[Int]] = []
        kept.reserveCapacity(100)
        let calls = counter.calls {
            for value in 0..<100 { kept.append([value, value]) }
        }
        #expect(calls >= 100 && calls < 110)
        #expect(kept.count == 100)
    }

    @Test func lookupsAllocateNothing() throws {
        let counter = try #require(MallocCallCounter())
        let index = try Self.busyIndex()
        var generator = MatchScenarioGenerator(random: SeededRandom(seed: 7))
        var ownership = NameOwnership()
        for name in generator.wellKnown { ownership.owners[name] = PeerID(1) }
        let messages = try (0..<Self.lookups).map { _ in try generator.message(ownership: ownership) }
        var delivered = 0
        func routeAll() {
            // An index loop: in debug builds `for-in` over an array calls malloc per element.
            for position in messages.indices {
                let (message, sender, recipient) = messages[position]
                index.forEachRecipient(of: message.view, sender: sender, destination: recipient) { _ in delivered += 1 }
            }
        }
        // One warm-up pass, so runtime metadata created on first use is not counted per lookup.
        routeAll()
        delivered = 0
        let calls = counter.calls { routeAll() }
        #expect(calls == 0)
        #expect(delivered > Self.lookups / 2)
    }
}
