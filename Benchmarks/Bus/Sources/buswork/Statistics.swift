// Statistics: medians and percentiles of latency samples, and the runner's result line.

/// Summary of a list of latencies in nanoseconds.
struct LatencySummary {
    let medianMicroseconds: Double
    let p99Microseconds: Double

    init(nanoseconds samples: [UInt64]) {
        let sorted = samples.sorted()
        medianMicroseconds = Self.microseconds(sorted, quantile: 0.5)
        p99Microseconds = Self.microseconds(sorted, quantile: 0.99)
    }

    private static func microseconds(_ sorted: [UInt64], quantile: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * quantile).rounded()))
        return Double(sorted[index]) / 1_000
    }
}

/// The one line of output a workload prints: flat JSON the runner parses.
struct ResultLine {
    private var fields: [String] = []

    mutating func add(_ key: String, _ value: Double) { fields.append("\"\(key)\": \(value)") }
    mutating func add(_ key: String, _ value: Int) { fields.append("\"\(key)\": \(value)") }
    mutating func add(_ key: String, _ value: UInt64) { fields.append("\"\(key)\": \(value)") }

    func print() {
        Swift.print("{" + fields.joined(separator: ", ") + "}")
    }
}
