// KDBus Workloads: the server, round trips and large calls over swiftbusd's kdbus transport.
import BusPlatform
import DBusWire
import Glibc
import SwiftBus

/// The call workloads of `CallWorkloads` and the `Server`, with both ends on the kdbus
/// transport: the runner puts their figures beside classic swiftbusd and dbus-broker.
struct KDBusWorkloads {
    /// RequestName flag DO_NOT_QUEUE.
    private static let doNotQueue: UInt32 = 4
    let address: String

    /// Owns `BenchProtocol.kdbusServiceName`; answers Echo with the call's body and Put
    /// with nothing, one call at a time (the kdbus rows are sequential calls).
    func serve(largestMessage: Int) throws(BenchError) {
        let connection = try KDBusBusConnection(address: address, largestMessage: largestMessage)
        var request = try EncodedMessage(BenchProtocol.driverCall(
            "RequestName", [.string(BenchProtocol.kdbusServiceName), .uint32(Self.doNotQueue)]))
        try connection.awaitReply(to: connection.send(&request))
        print("ready", terminator: "\n")
        fflushStandardOutput()
        var replies = ReplyTemplates()
        var touched: UInt8 = 0
        defer { if touched == 1 { print("", terminator: "") } }  // keeps the reads from being optimised away
        var reply: [UInt8] = []
        while true {
            reply.removeAll(keepingCapacity: true)
            try connection.receive(timeoutMilliseconds: -1) { call throws(BenchError) in
                guard call.type == .methodCall, let member = call.string(.member), !(member == BenchProtocol.sink) else { return }
                if member == BenchProtocol.put { touched &+= Self.touchEveryPage(Self.payload(of: call)) }
                try replies.appendReply(to: call, payload: Self.payload(of: call), echo: member == BenchProtocol.echo,
                                        serial: connection.takeSerial(), to: &reply)
            }
            if !reply.isEmpty { try connection.sendBytes(reply) }
        }
    }

    /// `count` sequential Echo calls with `payload` bytes; prints median and p99 in µs.
    func roundTrips(payload: Int, count: Int, warmup: Int) throws(BenchError) {
        let connection = try KDBusBusConnection(address: address, largestMessage: payload)
        var call = try EncodedMessage(BenchProtocol.call(BenchProtocol.echo, payload: payload, destination: BenchProtocol.kdbusServiceName))
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        for index in 0..<(warmup + count) {
            let start = Clock.nanoseconds()
            try connection.awaitReply(to: connection.send(&call))
            if index >= warmup { samples.append(Clock.nanoseconds() - start) }
        }
        let summary = LatencySummary(nanoseconds: samples)
        var line = ResultLine()
        line.add("median_us", summary.medianMicroseconds)
        line.add("p99_us", summary.p99Microseconds)
        line.print()
    }

    /// How a large call's `ay` travels (docs/kdbus-transport.md §8); `memfd=0|1|2` on the
    /// command line.
    enum PayloadPath: Int {
        /// The whole message in the arena, copied by the broker into the pool.
        case arena = 0
        /// The bytes written into a new sealed memfd for every call, as the SwiftBus library
        /// does for an `ay` at or above the threshold.
        case fresh = 1
        /// One sealed memfd made before the timing, re-sent with every call: a payload the
        /// application already holds in a memfd (kdbus's zero-copy case).
        case once = 2
    }

    /// `count` sequential Put calls with `payload` bytes; prints calls/s and payload MiB/s.
    func largeCalls(payload: Int, count: Int, path: PayloadPath = .arena) throws(BenchError) {
        let connection = try KDBusBusConnection(address: address, largestMessage: path == .arena ? payload : 64 * 1024)
        var call = try EncodedMessage(BenchProtocol.call(BenchProtocol.put, payload: payload, destination: BenchProtocol.kdbusServiceName),
                                      limits: path == .arena ? .specification : .memfdCarried)
        // A raw descriptor, closed on the way out: the made-once memfd outlives every call.
        let made: CInt? = path == .once ? try Self.sealedPayload(of: call.bytes, payload: payload) : nil
        defer { if let made { _ = Glibc.close(made) } }
        func send() throws(BenchError) -> UInt32 {
            guard path != .arena else { return try connection.send(&call) }
            let serial = connection.takeSerial()
            call.patchSerial(serial)
            let memfd: CInt
            if let made { memfd = made } else { memfd = try Self.sealedPayload(of: call.bytes, payload: payload) }
            defer { if made == nil { _ = Glibc.close(memfd) } }
            // Header and the array's length stay in the arena; the array's bytes are the memfd.
            let prefix = Array(call.bytes[0..<(call.bytes.count - payload)])
            do { try connection.channel.send(parts: [.bytes(prefix), .memfd(memfd, length: payload)]) } catch {
                throw .disconnected("kdbus send: \(error)")
            }
            return serial
        }
        try connection.awaitReply(to: send())  // warm-up: first-touch faults in pool and arena
        let start = Clock.nanoseconds()
        for _ in 0..<count { try connection.awaitReply(to: send()) }
        let elapsed = Double(Clock.nanoseconds() - start) / 1e9
        var line = ResultLine()
        line.add("calls_per_s", Double(count) / elapsed)
        line.add("mib_per_s", Double(count) * Double(payload) / Double(1 << 20) / elapsed)
        line.print()
    }

    /// A sealed memfd holding the last `payload` bytes of `message` (its `ay`'s contents).
    private static func sealedPayload(of message: [UInt8], payload: Int) throws(BenchError) -> CInt {
        let result = message.withUnsafeBytes { bytes in
            Result { () throws(Errno) -> CInt in
                try KDBusOutgoingPart.sealedMemfd(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - payload)...])).take()
            }
        }
        do { return try result.get() } catch { throw .setup("payload memfd: \(error)") }
    }

    /// Reads one byte of every page of a received `Put` payload: a payload that arrives as a
    /// memfd is mapped, not copied, so this is what makes its pages reach the server (a
    /// classic server has them all once its read returns).
    private static func touchEveryPage(_ payload: UnsafeRawBufferPointer) -> UInt8 {
        var sum: UInt8 = 0
        for offset in stride(from: 0, to: payload.count, by: 4096) { sum &+= payload[offset] }
        return sum
    }

    /// The bytes of a body that is one `ay`, or none.
    private static func payload(of call: MessageHeaderView) -> UnsafeRawBufferPointer {
        guard call.bodyLength >= 4 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var reader = WireReader(buffer: call.buffer, byteOrder: call.byteOrder, position: call.bodyOffset)
        guard let length = try? reader.readUInt32(), call.bodyLength >= 4 + Int(length) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(rebasing: call.buffer[(call.bodyOffset + 4)..<(call.bodyOffset + 4 + Int(length))])
    }
}
