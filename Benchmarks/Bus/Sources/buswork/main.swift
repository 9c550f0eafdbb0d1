// buswork: the benchmark's client on SwiftBus's own wire layer, one workload per invocation.
//
// Usage: buswork WORKLOAD ADDRESS [KEY=VALUE ...]   (run.sh drives it; see Benchmarks/Bus/README)
// Every workload prints one JSON line on standard output (the server prints "ready" first).
import Glibc

func fflushStandardOutput() { fflush(nil) }

func fail(_ text: String) -> Never {
    let line = Array("buswork: \(text)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

/// The command line: a workload, a bus address and KEY=VALUE integers.
struct Arguments {
    let workload: String
    let address: String
    private let values: [String: Int]

    init(_ arguments: [String]) {
        guard arguments.count >= 3 else {
            fail("usage: buswork server|rtt|pipeline|subscribe|emit|match-scale|reply-scale|connect|idle|message-size|kdbus-server|kdbus-rtt|kdbus-pipeline ADDRESS [KEY=VALUE ...]")
        }
        workload = arguments[1]
        address = arguments[2]
        var values: [String: Int] = [:]
        for pair in arguments.dropFirst(3) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]) else { fail("expected KEY=INTEGER, got \(pair)") }
            values[String(parts[0])] = value
        }
        self.values = values
    }

    subscript(key: String, default fallback: Int) -> Int { values[key] ?? fallback }
}

let arguments = Arguments(CommandLine.arguments)
let address = arguments.address
do {
    switch arguments.workload {
    case "server":
        try Server(address: address).run()
    case "rtt":
        let count = arguments["count", default: 1000]
        try CallWorkloads(address: address).roundTrips(
            payload: arguments["size", default: 8], count: count, warmup: count / 10)
    case "pipeline":
        let size = arguments["size", default: 8]
        try CallWorkloads(address: address).pipelined(
            member: size > 64 * 1024 ? BenchProtocol.put : BenchProtocol.echo, payload: size,
            count: arguments["count", default: 10000], inFlight: arguments["inflight", default: 32])
    case "subscribe":
        try SignalWorkloads(address: address).subscribe(
            connections: arguments["connections", default: 10], noiseRules: arguments["rules", default: 0])
    case "emit":
        try SignalWorkloads(address: address).emit(
            count: arguments["count", default: 1000], payload: arguments["size", default: 8])
    case "match-scale":
        try ScalingWorkloads(address: address).withMatchRules(
            arguments["rules", default: 1], count: arguments["count", default: 1000])
    case "reply-scale":
        try ScalingWorkloads(address: address).withPendingReplies(
            arguments["pending", default: 1], count: arguments["count", default: 1000])
    case "connect":
        try ConnectionWorkloads(address: address).connectLatency(count: arguments["count", default: 200])
    case "message-size":
        // The runner sizes the raw-socket ping-pong like the bus's Echo call.
        let bytes = try EncodedMessage(BenchProtocol.call(BenchProtocol.echo, payload: arguments["size", default: 8])).bytes
        print("{\"bytes\": \(bytes.count)}")
    case "idle":
        try ConnectionWorkloads(address: address).holdIdle(count: arguments["connections", default: 1000])
    case "kdbus-server":
        try KDBusWorkloads(address: address).serve(largestMessage: arguments["largest", default: 16 << 20])
    case "kdbus-rtt":
        let count = arguments["count", default: 1000]
        try KDBusWorkloads(address: address).roundTrips(
            payload: arguments["size", default: 8], count: count, warmup: count / 10)
    case "kdbus-pipeline":
        // Sequential calls only (inflight=1), as the runner's large-payload rows make them.
        guard arguments["inflight", default: 1] == 1 else { fail("kdbus-pipeline supports inflight=1 only") }
        guard let path = KDBusWorkloads.PayloadPath(rawValue: arguments["memfd", default: 0]) else {
            fail("memfd= takes 0 (arena), 1 (a new memfd per call) or 2 (one memfd re-sent)")
        }
        try KDBusWorkloads(address: address).largeCalls(
            payload: arguments["size", default: 1 << 20], count: arguments["count", default: 64], path: path)
    default:
        fail("unknown workload \(arguments.workload)")
    }
} catch {
    fail("\(arguments.workload): \(error)")
}
