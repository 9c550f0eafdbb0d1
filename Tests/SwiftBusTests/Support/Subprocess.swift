// Subprocess: runs a real client (busctl, gdbus, python) without blocking a cooperative thread.
import Foundation

/// What a finished process printed and how it exited.
struct ProcessOutput: Sendable {
    let status: Int32
    let standardOutput: String
    let standardError: String
}

/// Runs `arguments` with extra environment and waits for it asynchronously: blocking a
/// thread of the two-thread cooperative pool could starve the handlers that answer the
/// very process we are waiting for.
func runProcess(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let collected = OutputCollector()
    output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData, error: false) }
    errors.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData, error: true) }
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    output.fileHandleForReading.readabilityHandler = nil
    errors.fileHandleForReading.readabilityHandler = nil
    collected.append(output.fileHandleForReading.readDataToEndOfFile(), error: false)
    collected.append(errors.fileHandleForReading.readDataToEndOfFile(), error: true)
    return collected.result(status: status)
}

/// Gathers a process's output from the pipes' handler threads.
final class OutputCollector: @unchecked Sendable {
    // Invariant: both buffers are touched only under `lock`.
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    func append(_ data: Data, error: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if error { err.append(data) } else { out.append(data) }
    }

    func result(status: Int32) -> ProcessOutput {
        lock.lock()
        defer { lock.unlock() }
        return ProcessOutput(status: status, standardOutput: String(decoding: out, as: UTF8.self),
                             standardError: String(decoding: err, as: UTF8.self))
    }
}
