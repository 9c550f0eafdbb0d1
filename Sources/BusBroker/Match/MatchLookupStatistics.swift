// Match Lookup Statistics
/// What one lookup cost, counted rather than timed so tests can check the cost model on a
/// noisy machine: buckets probed is bounded by the shapes in use, candidates by the rules
/// whose exact keys the message has.
struct MatchLookupStatistics: Sendable {
    /// Hash probes, one per shape in use that the message is compatible with.
    var bucketsProbed = 0
    /// Probes that found a bucket.
    var bucketsFound = 0
    /// Rules evaluated in full with `MatchRule.matches`.
    var candidatesEvaluated = 0
}
