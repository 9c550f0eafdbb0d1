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
/// very process we are waiting for. Each pipe is drained to its end by a plain blocking read
/// on a Dispatch thread (a `readabilityHandler` set and cleared around the process's exit
/// crashed libdispatch's event loop under load); the exit status comes last, once both
/// pipes are closed.
func runProcess(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    async let out = readToEnd(output.fileHandleForReading)
    async let err = readToEnd(errors.fileHandleForReading)
    let (standardOutput, standardError) = await (out, err)
    let status = await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            process.waitUntilExit()
            continuation.resume(returning: process.terminationStatus)
        }
    }
    return ProcessOutput(status: status, standardOutput: String(decoding: standardOutput, as: UTF8.self),
                         standardError: String(decoding: standardError, as: UTF8.self))
}

/// Everything `handle` yields until end of file, read on a Dispatch thread.
private func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}
