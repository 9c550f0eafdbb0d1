// KDBus One Copy Tests: a body copied once from the arena is validated in the receiver's slice.
import BusPlatform
import DBusWire
import Dispatch
import Glibc
import SwiftBus
import Synchronization
import Testing

/// On the one-copy path (docs/kdbus-transport.md §6) swiftbusd validates a message's header
/// in its own memory and its body only after copying it from the sender's arena into the
/// receiver's pool slice, which the sender cannot reach. These tests drive a raw client that
/// owns its arena mapping, so it can write an invalid body, or change the body while the
/// broker reads it.
@Suite("kdbus transport: one copy per message, body validated in the slice", .serialized)
struct KDBusOneCopyTests {
    /// A raw client past Hello and ARENA, holding a writable mapping of its own arena.
    final class ArenaWriter {
        let raw: KDBusRawClient
        let mapping: MappedRegion
        private var sends = 0

        init(address: String, arenaSize: Int = 64 * 1024) throws {
            raw = try KDBusRawClient(address: address, offer: KDBusOffer(poolSize: 64 * 1024, arenaSize: arenaSize))
            try raw.send(KDBusProtocolErrorTests.hello())
            let size = raw.agreement.arenaSize
            let file = try MemoryFile.create(name: "test-arena", size: size)
            mapping = try MappedRegion.map(file, length: size, protection: [.read, .write])
            try file.addSeals(.arena)
            try raw.send(KDBusRecord.arenaAnnouncement(size: UInt64(size)).bytes, fds: [file.rawValue])
        }

        /// Where message bytes go: one fixed slot past the control area, reused by every SEND
        /// (each waits until the broker's `sendsConsumed` covers the previous one).
        static let slot = KDBusLimits.arenaControlSize

        /// Writes `bytes` into the slot and publishes a SEND entry for them in the command
        /// ring of this mapping (protocol 2, §4), then rings the broker.
        func send(_ bytes: [UInt8]) throws {
            var waited = 0
            while raw.pool.loadSendsConsumed() < UInt64(sends), !raw.isGone, waited < TestClient.timeoutMilliseconds * 10 {
                usleep(100)
                waited += 1
            }
            mapping.withUnsafeMutableBytes { arena in
                bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: arena[Self.slot..<Self.slot + bytes.count]).copyMemory(from: $0) }
                let entry = KDBusRecord.send(.init(arenaOffset: UInt64(Self.slot), length: UInt64(bytes.count))).bytes
                let at = RecordRing.entryOffset(UInt64(sends))
                entry.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: arena[at..<at + entry.count]).copyMemory(from: $0) }
                atomicMemoryFence(ordering: .sequentiallyConsistent)
                arena.storeBytes(of: UInt64(sends + 1), toByteOffset: RingControl.commandTail, as: UInt64.self)
                atomicMemoryFence(ordering: .sequentiallyConsistent)
            }
            raw.ringer.ring()
            sends += 1
        }
    }

    /// A body long enough for the one-copy path (`KDBusBrokerState.oneCopyMinimumBody`, 8 KiB).
    static let longText = String(repeating: "payload ", count: 1_500)

    /// A method call to `destination` whose body is the string `text`, and the offset of the
    /// string's terminating NUL in the marshalled bytes.
    static func call(to destination: String, text: String, serial: UInt32) throws -> (bytes: [UInt8], nul: Int) {
        var message = Message.methodCall(path: "/obj", interface: "com.example.Copy", member: "Take", destination: destination,
                                         body: [.string(text)], flags: .noReplyExpected)
        message.serial = serial
        let bytes = try message.encoded()
        return (bytes, bytes.count - 1)
    }

    /// A stop flag the scribbler polls, and its count of toggles (so the test sends only
    /// once it is really running).
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        private let toggles = Atomic<Int>(0)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
        var toggleCount: Int { toggles.load(ordering: .relaxed) }
        func toggled() { toggles.add(1, ordering: .relaxed) }
    }

    /// A raw address handed to the scribbler thread; the test keeps its memory mapped.
    struct Address: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
    }

    /// The `Take` calls that reach `receiver` until nothing more comes (its NameAcquired is
    /// skipped). A slice that does not decode as a valid message is a test failure.
    static func takes(at receiver: KDBusTestClient) -> [Message] {
        var found: [Message] = []
        while true {
            do {
                let message = try receiver.receiveFresh(timeoutMilliseconds: 300)
                if message.member == "Take" { found.append(message) }
            } catch KDBusChannelError.timedOut {
                return found
            } catch {
                Issue.record("the receiver got something that is not a valid message: \(error)")
                return found
            }
        }
    }

    @Test("an invalid body in the arena is caught in the slice: the sender is disconnected, the receiver gets nothing")
    func invalidBodyNeverDelivered() async throws {
        try await BrokerProcess.run { broker in
            let receiver = try KDBusTestClient(address: broker.address)
            let writer = try ArenaWriter(address: broker.address)
            var (bytes, nul) = try Self.call(to: receiver.uniqueName, text: Self.longText, serial: 2)
            bytes[nul] = UInt8(ascii: "x")  // the string loses its terminator: the header is still valid
            try writer.send(bytes)
            #expect(writer.raw.waitForDisconnect())
            #expect(Self.takes(at: receiver).isEmpty, "the receiver got the invalid message")
            #expect(try receiver.call(driverCall("GetId")).type == .methodReturn)
            let lines = broker.log.split(separator: "\n").filter { $0.contains("disconnecting ") }
            #expect(lines.count == 1 && lines.first?.contains("invalid message") == true, "log: \(broker.log)")
        }
    }

    @Test("a body larger than the receiver's whole pool goes in a sealed memfd of the broker's, validated there first")
    func bodyLargerThanThePool() async throws {
        try await BrokerProcess.run { broker in
            let receiver = try KDBusTestClient(address: broker.address)  // a 1 MiB pool
            let writer = try ArenaWriter(address: broker.address, arenaSize: 4 * 1024 * 1024)
            let text = String(repeating: "large ", count: 2 * 1024 * 1024 / 6)
            let (bytes, nul) = try Self.call(to: receiver.uniqueName, text: text, serial: 2)
            try writer.send(bytes)
            let taken = Self.takes(at: receiver)
            #expect(taken.map(\.body) == [[.string(text)]])
            // The channel maps a payload memfd only once it proves sealed against writes,
            // shrinking and growing: decoding it is the check.
            #expect(receiver.received.last?.memfds.count == 1, "the body came as a memfd")

            var invalid = try Self.call(to: receiver.uniqueName, text: text, serial: 3).bytes
            invalid[nul] = UInt8(ascii: "x")
            try writer.send(invalid)
            #expect(writer.raw.waitForDisconnect())
            #expect(Self.takes(at: receiver).isEmpty, "the receiver got the invalid message")
            #expect(try receiver.call(driverCall("GetId")).type == .methodReturn)
            let lines = broker.log.split(separator: "\n").filter { $0.contains("disconnecting ") }
            #expect(lines.count == 1 && lines.first?.contains("invalid message") == true, "log: \(broker.log)")
        }
    }

    /// Sends while the arena is scribbled on: ~12 KiB each, so they all fit the receiver's
    /// 1 MiB pool unread.
    static let scribbledSends = 80

    @Test("a sender changing its arena while the broker reads it never gets an invalid message to the receiver")
    func scribblerCannotSmuggle() async throws {
        try await BrokerProcess.run { broker in
            let receiver = try KDBusTestClient(address: broker.address)
            let writer = try ArenaWriter(address: broker.address)
            let (bytes, nul) = try Self.call(to: receiver.uniqueName, text: Self.longText, serial: 2)
            let stop = Flag()
            // The byte to toggle, as a raw address: `writer` (and its mapping) outlives the
            // scribbler, which is joined below.
            let target = Address(writer.mapping.withUnsafeMutableBytes { $0.baseAddress! + ArenaWriter.slot + nul })
            let finished = DispatchSemaphore(value: 0)
            // Toggle the body's NUL terminator between valid (0) and invalid ('x') in a loop.
            DispatchQueue.global().async {
                var value: UInt8 = 0
                while !stop.isSet {
                    value = value == 0 ? UInt8(ascii: "x") : 0
                    target.pointer.storeBytes(of: value, as: UInt8.self)
                    stop.toggled()
                }
                finished.signal()
            }
            while stop.toggleCount < 100_000 { usleep(100) }
            var sent = 0
            var disconnected = false
            while sent < Self.scribbledSends && !disconnected {
                do {
                    try writer.send(bytes)
                    sent += 1
                    usleep(500)  // the scribbler and the broker share two CPUs with us
                } catch let error as Errno where error == .wouldBlock {
                    usleep(1_000)  // the broker is behind: its socket buffer is full
                } catch {
                    disconnected = true  // a corrupted body was caught and its sender dropped
                }
            }
            stop.set()
            finished.wait()
            // Every message that reached the receiver is whole and valid (receiveFresh decodes
            // it; an invalid one would end the loop early and fail the count below).
            let received = Self.takes(at: receiver)
            #expect(received.allSatisfy { $0.body == [.string(Self.longText)] })
            #expect(received.count <= sent)
            print("scribbler: \(sent) sent, \(received.count) delivered valid, sender \(disconnected ? "disconnected" : "never caught")")
            #expect(try receiver.call(driverCall("GetId")).type == .methodReturn)
        }
    }
}
