// KDBus Workloads: the server, round trips and large calls over swiftbusd's kdbus transport.
import DBusWire

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
        let request = try EncodedMessage(BenchProtocol.driverCall(
            "RequestName", [.string(BenchProtocol.kdbusServiceName), .uint32(Self.doNotQueue)]))
        try connection.awaitReply(to: connection.send(request))
        print("ready", terminator: "\n")
        fflushStandardOutput()
        var replies = ReplyTemplates()
        var reply: [UInt8] = []
        while true {
            reply.removeAll(keepingCapacity: true)
            try connection.receive(timeoutMilliseconds: -1) { call throws(BenchError) in
                guard call.type == .methodCall, let member = call.string(.member), !(member == BenchProtocol.sink) else { return }
                try replies.appendReply(to: call, payload: Self.payload(of: call), echo: member == BenchProtocol.echo,
                                        serial: connection.takeSerial(), to: &reply)
            }
            if !reply.isEmpty { try connection.sendBytes(reply) }
        }
    }

    /// `count` sequential Echo calls with `payload` bytes; prints median and p99 in µs.
    func roundTrips(payload: Int, count: Int, warmup: Int) throws(BenchError) {
        let connection = try KDBusBusConnection(address: address, largestMessage: payload)
        let call = try EncodedMessage(BenchProtocol.call(BenchProtocol.echo, payload: payload, destination: BenchProtocol.kdbusServiceName))
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        for index in 0..<(warmup + count) {
            let start = Clock.nanoseconds()
            try connection.awaitReply(to: connection.send(call))
            if index >= warmup { samples.append(Clock.nanoseconds() - start) }
        }
        let summary = LatencySummary(nanoseconds: samples)
        var line = ResultLine()
        line.add("median_us", summary.medianMicroseconds)
        line.add("p99_us", summary.p99Microseconds)
        line.print()
    }

    /// `count` sequential Put calls with `payload` bytes; prints calls/s and payload MiB/s.
    func largeCalls(payload: Int, count: Int) throws(BenchError) {
        let connection = try KDBusBusConnection(address: address, largestMessage: payload)
        let call = try EncodedMessage(BenchProtocol.call(BenchProtocol.put, payload: payload, destination: BenchProtocol.kdbusServiceName))
        try connection.awaitReply(to: connection.send(call))  // warm-up: first-touch faults in pool and arena
        let start = Clock.nanoseconds()
        for _ in 0..<count { try connection.awaitReply(to: connection.send(call)) }
        let elapsed = Double(Clock.nanoseconds() - start) / 1e9
        var line = ResultLine()
        line.add("calls_per_s", Double(count) / elapsed)
        line.add("mib_per_s", Double(count) * Double(payload) / Double(1 << 20) / elapsed)
        line.print()
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
