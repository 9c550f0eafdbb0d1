// KDBus Send Wait Tests: a sender whose command ring or arena is full waits for swiftbusd's doorbell, then resumes.
import BusPlatform
import DBusWire
import Foundation
import Synchronization
@testable import SwiftBus
import Testing

/// A kdbus sender, a classic receiver that stops reading, and a swiftbusd whose
/// `max_incoming_bytes` is small: the broker stops carrying out the sender's commands
/// (as it stops reading a classic sender), so the sender's command ring or arena fills and
/// it must wait. Nothing but the broker's doorbell can wake it then — its messages are
/// one-way, so no reply rings for it — so a lost wake-up shows as messages that never come.
@Suite("kdbus sender waits for the broker's doorbell", .enabled(if: TestBus.available.contains(.swiftbusd)), .serialized)
struct KDBusSendWaitTests {
    static let path: ObjectPath = "/org/swiftbus/SendWait"
    /// Small, so the sender is throttled soon after the receiver's socket buffer fills.
    static let maxIncomingBytes = 16 * 1024
    /// How long the receiver may take to get every message once it reads again.
    static let deliveryLimit: Duration = .seconds(20)

    @Test("more one-way messages than the command ring has entries: the sender waits, every message arrives in order")
    func commandRingFull() async throws {
        // Four rings' worth of small messages: the receiver's socket buffer absorbs some
        // hundreds before the broker throttles the sender, the ring holds 1024 more.
        let outcome = try await run(count: 4 * RecordRing.entries, padding: 64, sender: .default)
        outcome.expectEveryMessageInOrder()
        #expect(outcome.ringWaits > 0, "the sender waited for command-ring entries")
    }

    @Test("more bytes than the send arena holds, in one-way messages: the sender waits for the broker's consumed count")
    func arenaFull() async throws {
        // 2 KiB messages through the smallest arena (28 KiB for messages): the arena fills
        // long before the ring, so the sender waits for bytes, not entries.
        let small = ConnectionOptions(kdbusOffer: KDBusOffer(arenaSize: KDBusLimits.minRegionSize))
        let outcome = try await run(count: 400, padding: 2048, sender: small)
        outcome.expectEveryMessageInOrder()
        #expect(outcome.arenaWaits > 0, "the sender waited for arena bytes")
        #expect(outcome.ringWaits == 0, "a 64 KiB arena fills before a 1024-entry ring")
    }

    @Test("KDBusChannel: a sender whose arena is full sleeps until the broker rings, then every message arrives in order")
    func channelArenaFull() async throws {
        let bus = try BusProcesses.startSwiftbusd(limits: ["max_incoming_bytes": Self.maxIncomingBytes])
        defer { bus.stop() }
        let receiver = try await Connection.connect(to: bus.address, options: .classicOnly)
        let stream = try await receiver.messages(matching: TestInterface.ticked.matchRule(path: Self.path))
        receiver.core.setReceivingPaused(true)
        let socketPath = String(bus.address.dropFirst("unix:path=".count).prefix { $0 != "," })
        let channel = try KDBusChannel.connect(to: .path(socketPath), offer: KDBusOffer(arenaSize: KDBusLimits.minRegionSize))
        try channel.send(Message.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello",
                                            destination: "org.freedesktop.DBus", serial: 1).encoded())
        channel.release(try channel.receive())
        // 400 × 2 KiB through a 64 KiB arena; no timer in `reserve`, so a sender the broker
        // never rang would sleep until its timeout and the count below would stop short.
        let count = 400
        let progress = SendProgress()
        let text = String(repeating: "w", count: 2048)
        let destination = receiver.uniqueName
        let sending = Thread {
            for index in 0..<count {
                let signal = Message.signal(path: Self.path.rawValue, interface: TestInterface.name, member: "Ticked",
                                            destination: destination, body: [.string(text), .uint32(UInt32(index))],
                                            serial: UInt32(index + 2))
                do { try channel.send(signal.encoded(), timeoutMilliseconds: 30_000) } catch {
                    progress.failure.withLock { $0 = "send \(index): \(error)" }
                    return
                }
                progress.sent.withLock { $0 += 1 }
            }
        }
        sending.start()
        // Stalled: nothing more is sent for a while, and not everything was.
        let stalled = await eventually(within: .seconds(15)) {
            let before = progress.sent.withLock { $0 }
            try? await Task.sleep(for: .milliseconds(300))
            let after = progress.sent.withLock { $0 }
            return after == before && after < count
        }
        #expect(stalled, "the sender never waited for arena space (sent \(progress.sent.withLock { $0 }))")
        receiver.core.setReceivingPaused(false)
        let indices = await Self.collect(stream, count: count, within: Self.deliveryLimit)
        let outcome = Outcome(count: count, indices: indices, ringWaits: 0, arenaWaits: 0)
        outcome.expectEveryMessageInOrder()
        #expect(progress.failure.withLock { $0 } == nil)
        #expect(progress.sent.withLock { $0 } == count)
    }

    /// What the KDBusChannel sending thread did, read from the test.
    private final class SendProgress: Sendable {
        let sent = Mutex(0)
        let failure = Mutex<String?>(nil)
    }

    struct Outcome {
        var count: Int
        var indices: [UInt32]
        var ringWaits: Int
        var arenaWaits: Int

        /// All `count` indices, each once, in sending order (a short report, not two arrays).
        func expectEveryMessageInOrder() {
            #expect(indices.count == count, "\(indices.count) of \(count) messages arrived")
            let misplaced = indices.enumerated().first { $0.offset != Int($0.element) }
            #expect(misplaced == nil, "message \(misplaced?.element ?? 0) arrived in position \(misplaced?.offset ?? 0)")
        }
    }

    /// Sends `count` unicast signals carrying their index from a kdbus sender to a stalled
    /// classic receiver, waits until the sender is seen waiting, lets the receiver read
    /// again, and collects what arrives.
    private func run(count: Int, padding: Int, sender senderOptions: ConnectionOptions) async throws -> Outcome {
        let bus = try BusProcesses.startSwiftbusd(limits: ["max_incoming_bytes": Self.maxIncomingBytes])
        defer { bus.stop() }
        let receiver = try await Connection.connect(to: bus.address, options: .classicOnly)
        let sender = try await Connection.connect(to: bus.address, options: senderOptions)
        #expect(sender.transport == .kdbus && receiver.transport == .classic)
        let stream = try await receiver.messages(matching: TestInterface.ticked.matchRule(sender: sender.uniqueName, path: Self.path))
        receiver.core.setReceivingPaused(true)
        let text = String(repeating: "w", count: padding)
        for index in 0..<count {
            let signal = Message.signal(path: Self.path.rawValue, interface: TestInterface.name, member: "Ticked",
                                        destination: receiver.uniqueName, body: [.string(text), .uint32(UInt32(index))])
            _ = try sender.core.send(signal)
        }
        let waited = await eventually(within: .seconds(15)) {
            sender.core.state.withLock { $0.commandRingWaits + $0.arenaWaits } > 0
        }
        #expect(waited, "the sender never had to wait: the broker did not hold its commands")
        receiver.core.setReceivingPaused(false)
        let indices = await Self.collect(stream, count: count, within: Self.deliveryLimit)
        #expect(sender.isConnected && receiver.isConnected)
        let (ringWaits, arenaWaits) = sender.core.state.withLock { ($0.commandRingWaits, $0.arenaWaits) }
        print("send wait: \(count) × \(padding)-byte messages, \(indices.count) arrived; waited \(ringWaits)× for ring entries, \(arenaWaits)× for arena bytes")
        return Outcome(count: count, indices: indices, ringWaits: ringWaits, arenaWaits: arenaWaits)
    }

    /// The indices carried by `stream`'s messages until `count` arrived or `within` passed.
    private static func collect(_ stream: SignalStream<ReceivedMessage>, count: Int, within: Duration) async -> [UInt32] {
        let indices = Indices()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await message in stream {
                        let (_, index) = try message.arguments(as: (String, UInt32).self)
                        if indices.append(index) >= count { break }
                    }
                } catch {}
            }
            group.addTask { try? await Task.sleep(for: within) }
            await group.next()
            group.cancelAll()
        }
        return indices.list.withLock { $0 }
    }

    /// What the collecting task found, readable after it was cancelled.
    private final class Indices: Sendable {
        let list = Mutex<[UInt32]>([])

        /// Appends `index`; returns how many there are now.
        func append(_ index: UInt32) -> Int {
            list.withLock { list in
                list.append(index)
                return list.count
            }
        }
    }
}
