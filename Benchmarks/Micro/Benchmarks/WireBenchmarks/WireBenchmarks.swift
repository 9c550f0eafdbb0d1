// Wire Benchmarks
//
// Encode and decode of the two messages that matter for a bus: a typical method call
// (`sa{sv}`, about 200 bytes, the shape of a property update) and a 1 MiB `ay`. Each is
// measured through the allocating `Message` path a client uses and the zero-allocation
// `MessageHeaderView` path the broker uses; malloc counts are part of the result, because
// the broker's goal is zero heap allocations per validated message.
import Benchmark
import DBusWire

/// Size of the large payload: 1 MiB, a typical "big blob over D-Bus" (a thumbnail, a file chunk).
let largePayloadSize = 1 << 20

/// Most samples to take of one benchmark.
let maxSamples = 100_000


/// A method call of the shape desktop services exchange all the time: a string key and a
/// handful of variant properties. About 200 bytes on the wire.
func typicalMethodCall() -> Message {
    let properties: [DBusDictEntry] = [
        DBusDictEntry(key: .string("Volume"), value: .variant(.uint32(42))),
        DBusDictEntry(key: .string("Muted"), value: .variant(.boolean(false))),
        DBusDictEntry(key: .string("Name"), value: .variant(.string("Speakers"))),
    ]
    return .methodCall(
        path: "/org/example/Sink0", interface: "org.example.Sink", member: "Update",
        destination: "org.example.Audio",
        body: [.string("org.example.Sink"), .dictionary(key: .string, value: .variant, properties)],
        serial: 7)
}

/// A method call carrying one `ay` of `largePayloadSize` bytes.
func largeMethodCall() -> Message {
    .methodCall(
        path: "/org/example/Store", interface: "org.example.Store", member: "Put",
        destination: "org.example.Store", body: [.bytes([UInt8](repeating: 0xA5, count: largePayloadSize))],
        serial: 8)
}

/// Benchmarks one message through all four paths: encode into a fresh buffer, encode into a
/// reused writer, decode to a `Message`, validate as a `MessageHeaderView`.
func registerBenchmarks(named name: String, message: Message, configuration: Benchmark.Configuration) {
    let bytes = try! message.encoded()

    Benchmark("\(name): encode (Message.encoded)", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try message.encoded())
        }
    }

    Benchmark("\(name): encode into reused WireWriter", configuration: configuration) { benchmark in
        var writer = WireWriter(reservingCapacity: bytes.count)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try message.encode(into: &writer)
            blackHole(writer.count)
        }
    }

    Benchmark("\(name): decode (Message(decoding:))", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Message(decoding: bytes))
        }
    }

    Benchmark("\(name): validate (MessageHeaderView)", configuration: configuration) { benchmark in
        try bytes.withUnsafeBytes { buffer in
            for _ in benchmark.scaledIterations {
                let view = try MessageHeaderView(validating: buffer)
                blackHole(view.bodyLength)
            }
        }
    }

    // The broker's forwarding step: SENDER set, unknown fields dropped. Header only, as the
    // broker writes it before the body (copied or handed over separately).
    let sender: [UInt8] = Array(":1.42".utf8)
    Benchmark("\(name): rewrite header into reused WireWriter", configuration: configuration) { benchmark in
        var writer = WireWriter(reservingCapacity: bytes.count)
        try bytes.withUnsafeBytes { buffer in
            try sender.withUnsafeBytes { name in
                let view = try MessageHeaderView(validating: buffer)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    try view.rewriteHeader(sender: name, into: &writer)
                    blackHole(writer.count)
                }
            }
        }
    }

    Benchmark("\(name): rewrite header into raw memory (writeRewrittenHeader)", configuration: configuration) { benchmark in
        let destination = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + 512, alignment: 8)
        defer { destination.deallocate() }
        try bytes.withUnsafeBytes { buffer in
            let view = try MessageHeaderView(validating: buffer)
            sender.withUnsafeBytes { name in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(view.writeRewrittenHeader(sender: name, to: destination))
                }
            }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, .memoryLeaked, .throughput]
    // 1 000 small messages per sample: a malloc count of N × 1 000 plus the harness's share
    // reads off as N per message; the baseline benchmark shows the harness's share.
    let small = Benchmark.Configuration(
        metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: maxSamples)
    let large = Benchmark.Configuration(
        metrics: metrics, scalingFactor: .one, maxDuration: .seconds(2), maxIterations: maxSamples)

    // What the harness itself allocates per sample, to subtract from every malloc count;
    // at 1 000 messages per sample its share rounds away, at one per sample it does not.
    Benchmark("baseline x1000: empty loop (harness mallocs)", configuration: small) { benchmark in
        for index in benchmark.scaledIterations { blackHole(index) }
    }
    Benchmark("baseline x1: empty loop (harness mallocs)", configuration: large) { benchmark in
        for index in benchmark.scaledIterations { blackHole(index) }
    }
    registerBenchmarks(named: "method call sa{sv} (\(try! typicalMethodCall().encoded().count) B) x1000",
                       message: typicalMethodCall(), configuration: small)
    registerBenchmarks(named: "ay 1 MiB", message: largeMethodCall(), configuration: large)
}
