// Tools: a private dbus-daemon and the built executables, run as real processes.
import Foundation
import Testing

/// Paths of the package and its build products.
enum Paths {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let buildDirectory = packageRoot + "/.build/debug"
    static let fixtures = packageRoot + "/Tests/SwiftBusCodegenTests/Fixtures"
}

/// What a finished process printed.
struct ProcessResult {
    let status: Int32
    let standardOutput: String
    let standardError: String
}

/// Runs `executable` with `arguments` to completion.
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting: a full pipe would otherwise block the child forever.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
        standardError: String(decoding: errData, as: UTF8.self))
}

/// One dbus-daemon for the whole test process, started by the project's helper script.
final class ReferenceBus: Sendable {
    static let shared = ReferenceBus()
    let address: String

    private init() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Paths.packageRoot + "/Tests/Support/start-dbus-daemon.sh"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try! process.run()
        var line = Data()
        while let byte = try? out.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != 10 { line.append(first) }
        self.address = String(decoding: line, as: UTF8.self)
        // The helper script stops its bus when it gets SIGTERM; do so when the tests end.
        referenceBusPID = process.processIdentifier
        atexit { kill(referenceBusPID, SIGTERM) }
    }
}

/// Read only by the exit handler, written once before it is installed.
nonisolated(unsafe) private var referenceBusPID: Int32 = 0

/// Runs a process on a Dispatch thread: a blocking `run` inside a task would hold one of
/// the few cooperative threads (two on this machine) and starve the test that feeds it.
func runInBackground(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try run(executable, arguments) })
        }
    }
}
