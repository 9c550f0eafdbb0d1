// Connection Workloads: the cost of connecting, and the broker's memory per idle connection.
import Glibc

/// Connection setup and idle connections: what a bus pays per client, in time and in memory.
struct ConnectionWorkloads {
    let address: String

    /// `count` times: connect, authenticate, Hello and its reply, close. Prints median and p99 in µs.
    func connectLatency(count: Int) throws(BenchError) {
        var samples: [UInt64] = []
        for _ in 0..<count {
            let start = Clock.nanoseconds()
            let connection = try BusConnection(address: address)
            samples.append(Clock.nanoseconds() - start)
            withExtendedLifetime(connection) {}
        }
        let summary = LatencySummary(nanoseconds: samples)
        var line = ResultLine()
        line.add("median_us", summary.medianMicroseconds)
        line.add("p99_us", summary.p99Microseconds)
        line.print()
    }

    /// Opens `count` connections (each past Hello), prints "ready", and holds them until
    /// standard input closes, while the runner reads the broker's RSS.
    func holdIdle(count: Int) throws(BenchError) {
        var connections: [BusConnection] = []
        connections.reserveCapacity(count)
        for _ in 0..<count { connections.append(try BusConnection(address: address)) }
        print("ready")
        fflushStandardOutput()
        var byte: UInt8 = 0
        while read(0, &byte, 1) > 0 {}
        withExtendedLifetime(connections) {}
    }
}
