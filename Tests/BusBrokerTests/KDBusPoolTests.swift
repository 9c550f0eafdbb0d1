// KDBus Pool Tests: the pool a client receives is read-only for it, and a full pool loses nothing silently.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Testing

@Suite("kdbus transport: the receive pool", .serialized)
struct KDBusPoolTests {
    @Test("the client cannot write its pool: writable mmap, pwrite, mprotect, and a /proc/self/fd reopen all fail")
    func poolIsReadOnlyForTheClient() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let client = try KDBusRawClient(address: broker.address)
        let fd = client.poolDescriptor
        let size = client.agreement.poolSize
        #expect(try FileDescriptor(owning: dup(fd)).seals().isSuperset(of: .pool))

        let writable = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        #expect(writable == MAP_FAILED && errno == EPERM)
        var byte: UInt8 = 0x55
        #expect(pwrite(fd, &byte, 1, 0) == -1 && errno == EPERM)
        let readOnly = try #require(mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0))
        #expect(readOnly != MAP_FAILED)
        #expect(mprotect(readOnly, size, PROT_READ | PROT_WRITE) == -1 && (errno == EACCES || errno == EPERM))
        munmap(readOnly, size)

        // The reopen itself succeeds; the seal is what stops every write through it.
        let reopened = open("/proc/self/fd/\(fd)", O_RDWR)
        #expect(reopened >= 0)
        defer { close(reopened) }
        #expect(pwrite(reopened, &byte, 1, 0) == -1 && errno == EPERM)
        #expect(write(reopened, &byte, 1) == -1 && errno == EPERM)
        #expect(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, reopened, 0) == MAP_FAILED && errno == EPERM)
    }

    @Test("pool full: a call fails at its sender with LimitsExceeded; dropped broadcasts are counted exactly and reported")
    func poolFull() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let receiver = try KDBusTestClient(address: broker.address, offer: KDBusOffer(poolSize: 64 * 1024, arenaSize: 64 * 1024))
        try receiver.addMatch("type='signal',interface='com.example.Flood'")
        try receiver.channel.flushFrees()
        let sender = try TestClient(address: broker.address)
        try sender.connect()

        let broadcasts = 40
        let payload = [UInt8](repeating: 0xAB, count: 4096)
        for index in 0..<broadcasts {
            try sender.send(.signal(path: "/flood", interface: "com.example.Flood", member: "Chunk",
                                    body: [.uint32(UInt32(index)), .bytes(payload)]))
        }
        let refused = try sender.call(.methodCall(path: "/x", interface: "com.example.X", member: "Ping",
                                                  destination: receiver.uniqueName, body: [.bytes(payload)]))
        #expect(refused.errorName == "org.freedesktop.DBus.Error.LimitsExceeded")
        #expect(refused.body.first.map { "\($0)".contains("receive pool of \(receiver.uniqueName) is full") } == true)
        #expect(broker.log.contains("disconnecting") == false, "a full pool disconnects nobody")

        // Drain: every RECV is released as it is read, so the pool empties.
        var delivered: [UInt32] = []
        var lostReported: UInt64 = 0
        // The last BROADCASTS_LOST may follow the last RECV: poll with short waits until
        // every broadcast is accounted for (bounded by the client timeout overall).
        let deadline = Date().addingTimeInterval(Double(TestClient.timeoutMilliseconds) / 1000)
        while delivered.count + Int(receiver.channel.broadcastsLostTotal) < broadcasts, Date() < deadline {
            let message: Message
            do {
                message = try receiver.receiveFresh(timeoutMilliseconds: 100)
            } catch KDBusChannelError.timedOut {
                continue
            }
            lostReported += receiver.received.last?.broadcastsLostBefore ?? 0
            if message.member == "Chunk", case .uint32(let index)? = message.body.first { delivered.append(index) }
        }
        try sender.send(.signal(path: "/flood", interface: "com.example.Flood", member: "Marker"))
        let marker = try receiver.receive { $0.member == "Marker" }
        #expect(marker.member == "Marker")
        lostReported += receiver.received.last?.broadcastsLostBefore ?? 0
        #expect(delivered.count > 0 && lostReported > 0)
        #expect(delivered.count + Int(lostReported) == broadcasts)
        #expect(receiver.channel.broadcastsLostTotal == lostReported)
        let inOrder = delivered == Array(0..<UInt32(delivered.count))
        #expect(inOrder, "the first ones fit, the rest were dropped, none reordered")

        // With room again, calls go through.
        let again = try sender.send(.methodCall(path: "/x", interface: "com.example.X", member: "Ping", destination: receiver.uniqueName))
        let ping = try receiver.receive { $0.member == "Ping" }
        try receiver.send(.methodReturn(replyTo: ping))
        #expect(try sender.receive { $0.replySerial == again }.type == .methodReturn)
    }

    @Test("RECVs waiting for a backed-up socket are written most urgent first")
    func priorityOrdering() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let receiver = try KDBusTestClient(address: broker.address, offer: KDBusOffer(poolSize: 16 * 1024 * 1024, arenaSize: 1024 * 1024))
        let sender = try KDBusTestClient(address: broker.address)
        let count = 12_000
        for index in 0..<count {
            try sender.send(.signal(path: "/p", interface: "com.example.P", member: "Routine", destination: receiver.uniqueName,
                                    body: [.uint32(UInt32(index))]), priority: 5)
        }
        try sender.send(.signal(path: "/p", interface: "com.example.P", member: "Urgent", destination: receiver.uniqueName), priority: -1)
        #expect(try sender.call(driverCall("GetId")).type == .methodReturn)
        var position: Int?
        var routine: [UInt32] = []
        var sequences: [UInt64] = []
        while routine.count < count || position == nil {
            let message = try receiver.receiveFresh()
            if message.member == "Urgent" {
                position = routine.count
                #expect(receiver.received.last?.priority == -1)
            } else if message.member == "Routine", case .uint32(let value)? = message.body.first {
                routine.append(value)
                sequences.append(receiver.received.last?.sequence ?? 0)
            }
        }
        let increasing = zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 }
        #expect(increasing, "slices carry the bus-wide sequence number, growing message by message")
        let urgent = try #require(position)
        #expect(urgent < count, "the urgent message overtook routine ones still waiting in the broker")
        let inOrder = routine == Array(0..<UInt32(count))
        #expect(inOrder, "equal priorities stay in order")
    }
}
