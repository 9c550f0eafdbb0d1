// Bench Error: why a workload could not run, in words for the person reading the runner's log.

/// A failure of the benchmark client. Every case carries the text a person needs: what
/// was being done and what the bus or the kernel said.
enum BenchError: Error, CustomStringConvertible {
    /// Bad arguments or a failed connect.
    case setup(String)
    /// The bus sent something this client did not expect, or refused a call.
    case protocolViolation(String)
    /// The connection broke.
    case disconnected(String)

    var description: String {
        switch self {
        case .setup(let text): "setup: \(text)"
        case .protocolViolation(let text): "protocol: \(text)"
        case .disconnected(let text): "disconnected: \(text)"
        }
    }
}
