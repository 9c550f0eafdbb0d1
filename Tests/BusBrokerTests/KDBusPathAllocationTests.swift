// KDBus path allocation: a pool-to-pool call and its reply make no heap allocation in the broker once warm.
import DBusWire
import Foundation
import Testing

/// The swiftbusd an allocation count is taken on.
enum OptimizedBroker {
    /// SWIFTBUS_TEST_SWIFTBUSD when set, else the release swiftbusd beside this debug build.
    static let url: URL? = {
        if let path = ProcessInfo.processInfo.environment["SWIFTBUS_TEST_SWIFTBUSD"] { return URL(fileURLWithPath: path) }
        let release = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("release/swiftbusd")
        return FileManager.default.isExecutableFile(atPath: release.path) ? release : nil
    }()
}

/// The broker's message path allocates nothing per message (DESIGN.md); on the kdbus
/// transport that covers SEND, the header copy, routing, the slice and the RECV. Counted in
/// the broker process itself with `MallocCallCounter(process:)` (uprobes on the C allocator).
/// An optimized broker is measured: the debug build makes ~25 allocator calls per message in
/// code the optimizer removes (boxes, unspecialized generics), so it says nothing about this.
@Suite(.enabled(if: MallocCallCounter.isAvailable, "needs uprobe perf events (root)"),
       .enabled(if: OptimizedBroker.url != nil,
                "needs a release swiftbusd: swift build -c release --product swiftbusd (or SWIFTBUS_TEST_SWIFTBUSD)"),
       .serialized)
struct KDBusPathAllocationTests {

    static let warmup = 100
    static let measured = 300

    /// One call from `caller` to `callee` and its reply, both over the pool.
    static func roundTrip(_ caller: KDBusTestClient, _ callee: KDBusTestClient, payload: [UInt8]) throws {
        let call = Message.methodCall(path: "/bench", interface: "test.Alloc", member: "Echo", destination: callee.uniqueName,
                                      body: [.bytes(payload)])
        let serial = try caller.send(call)
        let received = try callee.receive { $0.member == "Echo" }
        try callee.send(.methodReturn(replyTo: received, body: received.body))
        _ = try caller.receive { $0.replySerial == serial }
    }

    @Test("pool to pool call and reply: no allocator call per message in the broker, 8 B and 64 KiB bodies",
          arguments: [8, 64 * 1024])
    func poolToPool(size: Int) throws {
        let broker = try BrokerProcess(executable: try #require(OptimizedBroker.url))
        defer { broker.stop() }
        let caller = try KDBusTestClient(address: broker.address)
        let callee = try KDBusTestClient(address: broker.address)
        let payload = [UInt8](repeating: 0x5a, count: size)
        for _ in 0..<Self.warmup { try Self.roundTrip(caller, callee, payload: payload) }
        let counter = try #require(MallocCallCounter(process: broker.process.processIdentifier))
        // The counter must see this broker allocate: a new connection makes its peer.
        let seen = counter.total()
        let witness = try KDBusTestClient(address: broker.address)
        #expect(counter.total() > seen, "the counter does not see the broker's allocations")
        // Kept connected: its disconnect would be counted below.
        defer { withExtendedLifetime(witness) {} }
        let before = counter.total()
        for _ in 0..<Self.measured { try Self.roundTrip(caller, callee, payload: payload) }
        let calls = counter.total() - before
        // None per message: one would make 600. A table that grows or rehashes now and then
        // (reply tracking's entries come and go) may allocate once in a while, not per message.
        #expect(calls * 100 < UInt64(2 * Self.measured), "\(calls) allocator calls in the broker for \(2 * Self.measured) messages")
    }
}
