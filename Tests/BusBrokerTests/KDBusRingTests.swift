// KDBus Ring Tests: the rings and doorbells of protocol version 2 against a real swiftbusd.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import Testing

@Suite("kdbus transport: rings and doorbells", .serialized)
struct KDBusRingTests {
    /// A raw client that said Hello through its arena and subscribed to `interface`'s signals.
    static func subscriber(_ broker: BrokerProcess, interface: String, poolSize: Int) throws -> (KDBusRawClient, String) {
        let raw = try KDBusRawClient(address: broker.address, offer: KDBusOffer(poolSize: poolSize, arenaSize: 64 * 1024))
        try raw.announceArena()
        try raw.sendMessage(try KDBusProtocolErrorTests.hello())
        let text = try raw.nextMessageText()
        let name = try #require(text.firstRange(of: ":1.").map { String(text[$0.lowerBound...].prefix { $0 != "\0" }) })
        let match = driverCall("AddMatch", [.string("type='signal',interface='\(interface)'")], serial: 2)
        try raw.sendMessage(try match.encoded())
        return (raw, name)
    }

    /// Counts the entries of `interface`'s signals and the broadcasts reported lost until
    /// `expected` are accounted for (or the client timeout passes).
    static func drain(_ raw: KDBusRawClient, interface: String, expected: Int) throws -> (received: Int, lost: UInt64) {
        var received = 0
        var lost: UInt64 = 0
        while received + Int(lost) < expected {
            switch try raw.nextEntry() {
            case .receive(let receive):
                let text = try raw.pool.withSlice(offset: receive.poolOffset, length: receive.length) { String(decoding: $0, as: UTF8.self) }
                if text.contains(interface) { received += 1 }
            case .broadcastsLost(let report): lost = report.total
            default: break
            }
        }
        return (received, lost)
    }

    @Test("a full RECV ring holds RECVs in the broker until the client consumes; none is lost")
    func fullRingWaitsForTheClient() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let (raw, _) = try Self.subscriber(broker, interface: "com.example.Ring", poolSize: 8 * 1024 * 1024)
        let sender = try TestClient(address: broker.address)
        try sender.connect()
        let count = KDBusLimits.ringEntries + 500
        for index in 0..<count {
            try sender.send(.signal(path: "/ring", interface: "com.example.Ring", member: "Tick", body: [.uint32(UInt32(index))]))
        }
        #expect(try sender.call(driverCall("GetId")).type == .methodReturn, "the broker serves others meanwhile")
        let (received, lost) = try Self.drain(raw, interface: "com.example.Ring", expected: count)
        #expect(received == count && lost == 0)
        #expect(!broker.log.contains("disconnecting"), "log: \(broker.log)")
    }

    @Test("a client that never consumes fills only its own pool: broadcasts counted lost, a call gets LimitsExceeded")
    func clientThatNeverConsumes() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let (raw, name) = try Self.subscriber(broker, interface: "com.example.Flood", poolSize: 64 * 1024)
        let sender = try TestClient(address: broker.address)
        try sender.connect()
        let count = 300
        let payload = [UInt8](repeating: 0xAB, count: 512)
        for index in 0..<count {
            try sender.send(.signal(path: "/flood", interface: "com.example.Flood", member: "Chunk", body: [.uint32(UInt32(index)), .bytes(payload)]))
        }
        let refused = try sender.call(.methodCall(path: "/x", interface: "com.example.X", member: "Ping", destination: name, body: [.bytes(payload)]))
        #expect(refused.errorName == "org.freedesktop.DBus.Error.LimitsExceeded")
        #expect(try sender.call(driverCall("GetId")).type == .methodReturn)
        let (received, lost) = try Self.drain(raw, interface: "com.example.Flood", expected: count)
        #expect(received > 0 && lost > 0 && received + Int(lost) == count, "received \(received), lost \(lost)")
        #expect(!broker.log.contains("disconnecting"), "log: \(broker.log)")
    }

    @Test("a client flooding its doorbell (edges the broker never reads) is not disconnected, and others are served")
    func doorbellFlood() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let (raw, _) = try Self.subscriber(broker, interface: "com.example.Unused", poolSize: 64 * 1024)
        let bystander = try TestClient(address: broker.address)
        try bystander.connect()
        for _ in 0..<100_000 { raw.ringer.ring() }
        #expect(try bystander.call(driverCall("GetId")).type == .methodReturn)
        // A SEND after the flood is still carried out: the name it asks for comes back.
        try raw.sendMessage(try driverCall("RequestName", [.string("com.example.Flooder"), .uint32(0)], serial: 3).encoded())
        while try !raw.nextMessageText().contains("com.example.Flooder") {}
        #expect(!broker.log.contains("disconnecting"), "log: \(broker.log)")
    }

    @Test("an fd crosses between two ring clients: an FDS record precedes the SEND, and the RECV")
    func descriptorsTravelInFDSRecords() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let (sender, _) = try Self.subscriber(broker, interface: "com.example.None", poolSize: 64 * 1024)
        let (receiver, name) = try Self.subscriber(broker, interface: "com.example.None", poolSize: 64 * 1024)
        let pipe = try Pipe.make()
        var call = Message.methodCall(path: "/fd", interface: "com.example.Fd", member: "Take", destination: name, body: [.unixFD(0)])
        call.serial = 7
        call.unixFDCount = 1
        try sender.send(KDBusRecord.descriptors(count: 1).bytes, fds: [pipe.writeEnd.rawValue])
        try sender.sendMessage(try call.encoded(), fdCount: 1)
        var withFD: KDBusRecord.Receive?
        while withFD == nil {
            if case .receive(let receive) = try receiver.nextEntry(), receive.fdCount == 1 { withFD = receive }
        }
        // The FDS record left the socket before the RECV was published: it is there now.
        var descriptors = DescriptorList()
        var control = ControlBuffer()
        let bytes = try KDBusRawClient.read(from: receiver.socket, descriptors: &descriptors, control: &control)
        #expect(bytes.count == KDBusLimits.recordSize)
        #expect(try KDBusRecord.decode(bytes, from: .brokerToClient) == .descriptors(count: 1))
        guard let passed = descriptors.take(at: 0) else {
            Issue.record("the FDS record came without its descriptor")
            return
        }
        var byte: UInt8 = 42
        #expect(write(passed.rawValue, &byte, 1) == 1)
        byte = 0
        #expect(read(pipe.readEnd.rawValue, &byte, 1) == 1 && byte == 42, "the received fd is the sender's pipe end")
        #expect(!broker.log.contains("disconnecting"), "log: \(broker.log)")
    }

    @Test("RECVs waiting for RECV-ring room are published most urgent first, equal priorities in order")
    func priorityOrderingBehindAFullRing() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let (receiver, name) = try Self.subscriber(broker, interface: "com.example.None", poolSize: 8 * 1024 * 1024)
        let (sender, _) = try Self.subscriber(broker, interface: "com.example.None", poolSize: 64 * 1024)
        let count = KDBusLimits.ringEntries + 200
        var serial: UInt32 = 10
        func signal(_ member: String, _ index: UInt32, priority: Int32) throws {
            var message = Message.signal(path: "/p", interface: "com.example.P", member: member, destination: name, body: [.uint32(index)])
            serial += 1
            message.serial = serial
            // The arena is small: wait for the broker to consume before reusing it.
            while true {
                do {
                    return try sender.sendMessage(try message.encoded(), priority: priority)
                } catch PoolError.full {
                    usleep(100)
                }
            }
        }
        for index in 0..<count { try signal("Routine", UInt32(index), priority: 5) }
        try signal("Urgent", 0, priority: -1)
        // Wait until the broker has carried everything out (its sendsConsumed covers them).
        let deadline = Date().addingTimeInterval(Double(TestClient.timeoutMilliseconds) / 1000)
        while sender.pool.loadSendsConsumed() < UInt64(count + 3), Date() < deadline { usleep(1000) }
        var routine: [UInt32] = []
        var urgentAt: Int?
        while routine.count < count || urgentAt == nil {
            guard case .receive(let receive) = try receiver.nextEntry() else { continue }
            let text = try receiver.pool.withSlice(offset: receive.poolOffset, length: receive.length) { String(decoding: $0, as: UTF8.self) }
            if text.contains("Urgent") {
                urgentAt = routine.count
                #expect(receive.priority == -1)
            } else if text.contains("Routine") {
                let bytes = try receiver.pool.copySlice(offset: receive.poolOffset, length: receive.length)
                routine.append(bytes.suffix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
            }
        }
        let urgent = try #require(urgentAt)
        #expect(urgent < count, "the urgent signal overtook routine ones waiting in the broker (at \(urgent))")
        #expect(routine == Array(0..<UInt32(count)), "equal priorities stay in order")
    }

    @Test("a kdbus sender over max_incoming_bytes has its command ring held, as a classic sender's socket, and resumed")
    func throttledSenderIsHeldThenResumed() throws {
        let broker = try BrokerProcess(limits: ["max_incoming_bytes": 16 * 1024])
        defer { broker.stop() }
        let receiver = try TestClient(address: broker.address)
        let receiverName = try receiver.connect()
        let (sender, _) = try Self.subscriber(broker, interface: "com.example.None", poolSize: 64 * 1024)
        let base = sender.pool.loadSendsConsumed()
        let payload = [UInt8](repeating: 0x5A, count: 4096)
        var sent = 0
        var blocked = false
        let deadline = Date().addingTimeInterval(2)
        // The receiver reads nothing: its socket fills, then its queue; the sender's in-flight
        // bytes pass the limit and the broker stops taking its SENDs, so its arena fills.
        while !blocked && Date() < deadline {
            var message = Message.methodCall(path: "/t", interface: "com.example.T", member: "Take", destination: receiverName,
                                             body: [.bytes(payload)], flags: .noReplyExpected)
            message.serial = UInt32(100 + sent)
            do {
                try sender.sendMessage(try message.encoded())
                sent += 1
            } catch PoolError.full {
                usleep(20_000)
                do {
                    try sender.sendMessage(try message.encoded())
                    sent += 1
                } catch PoolError.full {
                    blocked = true
                }
            }
        }
        #expect(blocked, "the broker stopped consuming the throttled sender's commands (\(sent) sent)")
        let held = sender.pool.loadSendsConsumed() - base
        #expect(held < UInt64(sent), "consumed \(held) of \(sent)")
        var takes = 0
        while takes < sent {
            if try receiver.receive().member == "Take" { takes += 1 }
        }
        #expect(takes == sent, "every held SEND was carried out once the receiver read")
        #expect(!broker.log.contains("disconnecting"), "log: \(broker.log)")
    }
}
