// Scaling Workloads: one round trip while the bus holds many rules or many pending calls.

import DBusWire

/// Round trips measured after the bus has been loaded with state that a good index makes
/// irrelevant: match rules that match nothing, and method calls still awaiting replies.
struct ScalingWorkloads {
    let address: String

    /// Installs `rules` non-matching rules on a separate connection, then times round trips.
    func withMatchRules(_ rules: Int, count: Int) throws(BenchError) {
        let holder = try BusConnection(address: address)
        try holder.addMatches((0..<rules).map(BenchProtocol.noiseRule))
        try CallWorkloads(address: address).roundTrips(payload: 8, count: count, warmup: count / 10)
        withExtendedLifetime(holder) {}
    }

    /// Leaves `pending` calls unanswered (the server ignores Sink) on a separate connection,
    /// then times round trips.
    func withPendingReplies(_ pending: Int, count: Int) throws(BenchError) {
        let holder = try BusConnection(address: address)
        let sink = BenchProtocol.call(BenchProtocol.sink, payload: 0)
        try holder.callInBatches([Message](repeating: sink, count: pending), awaitingReplies: false)
        try CallWorkloads(address: address).roundTrips(payload: 8, count: count, warmup: count / 10)
        withExtendedLifetime(holder) {}
    }
}
