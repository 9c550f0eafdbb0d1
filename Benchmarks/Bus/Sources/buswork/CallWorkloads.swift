// Call Workloads: round trips, pipelined calls and large payloads to the server.

/// Method calls to the benchmark server over one connection.
struct CallWorkloads {
    let address: String

    /// `count` sequential Echo calls carrying `payload` bytes; prints median and p99 in µs.
    func roundTrips(payload: Int, count: Int, warmup: Int) throws(BenchError) {
        let connection = try BusConnection(address: address)
        var call = try EncodedMessage(BenchProtocol.call(BenchProtocol.echo, payload: payload))
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        for index in 0..<(warmup + count) {
            let start = Clock.nanoseconds()
            let serial = try call.send(on: connection)
            let reply = try connection.awaitReply(to: serial)
            let elapsed = Clock.nanoseconds() - start
            if reply.type == .error { throw .protocolViolation("Echo: \(connection.describe(reply))") }
            if index >= warmup { samples.append(elapsed) }
        }
        let summary = LatencySummary(nanoseconds: samples)
        var line = ResultLine()
        line.add("median_us", summary.medianMicroseconds)
        line.add("p99_us", summary.p99Microseconds)
        line.print()
    }

    /// `count` calls with `inFlight` outstanding at any time; prints calls per second and
    /// MiB/s of payload. `member` is Echo for small calls and Put for large ones.
    func pipelined(member: String, payload: Int, count: Int, inFlight: Int) throws(BenchError) {
        let connection = try BusConnection(address: address)
        var call = try EncodedMessage(BenchProtocol.call(member, payload: payload))
        // One warm-up call, so connection setup and first-touch faults are not timed.
        connection.awaitReplyOrThrow(to: try call.send(on: connection))
        let start = Clock.nanoseconds()
        var sent = 0
        var answered = 0
        while sent < min(inFlight, count) {
            try call.send(on: connection)
            sent += 1
        }
        while answered < count {
            let reply = try connection.nextMessage()
            guard reply.replySerial != nil else { continue }
            if reply.type == .error { throw .protocolViolation("\(member): \(connection.describe(reply))") }
            answered += 1
            if sent < count {
                try call.send(on: connection)
                sent += 1
            }
        }
        let elapsed = Double(Clock.nanoseconds() - start) / 1e9
        var line = ResultLine()
        line.add("calls_per_s", Double(count) / elapsed)
        line.add("mib_per_s", Double(count) * Double(payload) / Double(1 << 20) / elapsed)
        line.add("start_ns", start)
        line.add("elapsed_s", elapsed)
        line.print()
    }
}

extension BusConnection {
    /// Waits for the reply to `serial`; an error reply or a broken connection ends the process.
    func awaitReplyOrThrow(to serial: UInt32) {
        do {
            let reply = try awaitReply(to: serial)
            if reply.type == .error { fail("call failed: \(describe(reply))") }
        } catch {
            fail("\(error)")
        }
    }
}
