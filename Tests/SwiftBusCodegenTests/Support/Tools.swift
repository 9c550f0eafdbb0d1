// Tools: a private dbus-daemon and the built executables, run as real processes.
import Foundation
import Synchronization
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

/// A reference bus for the whole test process, started by the project's helper script:
/// `shared` is dbus-daemon, `broker` is dbus-broker.
final class ReferenceBus: Sendable {
    // The reference buses are installed by scripts/install-test-deps.sh; without them nothing here can run.
    static let shared = ReferenceBus(script: "start-dbus-daemon.sh")!
    static let broker = ReferenceBus(script: "start-dbus-broker.sh")!
    /// swiftbusd from this build, once it serves a bus (until then it exits at once: nil).
    /// `SWIFTBUSD` names another build (a release one, or the broker branch's).
    static let swiftbusd = ReferenceBus(swiftbusd: ProcessInfo.processInfo.environment["SWIFTBUSD"] ?? Paths.buildDirectory + "/swiftbusd")
    /// Every bus that runs on this machine.
    static var all: [ReferenceBus] { [shared, broker] + [swiftbusd].compactMap { $0 } }
    let address: String

    private convenience init?(script: String) {
        let directory = NSTemporaryDirectory() + "swiftbusctl-tests-\(getpid())-\(script.dropLast(3))"
        self.init(executable: "/bin/bash", arguments: [Paths.packageRoot + "/Tests/Support/" + script, directory], directory: directory)
    }

    private convenience init?(swiftbusd binary: String) {
        guard FileManager.default.isExecutableFile(atPath: binary) else { return nil }
        let directory = NSTemporaryDirectory() + "swiftbusctl-tests-\(getpid())-swiftbusd"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.init(executable: binary, arguments: [
            "--session", "--nofork", "--nopidfile", "--print-address=1", "--address=unix:path=\(directory)/bus",
        ], directory: directory)
    }

    private init?(executable: String, arguments: [String], directory: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        var line = Data()
        while let byte = try? out.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != 10 { line.append(first) }
        self.address = String(decoding: line, as: UTF8.self)
        guard address.hasPrefix("unix:") else {
            process.terminate()
            try? FileManager.default.removeItem(atPath: directory)
            return nil
        }
        // The script leads its own process group (Process starts it so). It would stop its
        // bus on SIGTERM, but it inherits the test runner's blocked signals and never sees
        // one; SIGKILL to the group ends the script and the bus, and we remove its directory.
        referenceBuses.withLock { $0.append((process.processIdentifier, directory)) }
        atexit {
            referenceBuses.withLock { buses in
                for (group, directory) in buses {
                    kill(-group, SIGKILL)
                    try? FileManager.default.removeItem(atPath: directory)
                }
            }
        }
    }
}

/// The helper scripts' process groups and directories, to clean up at exit.
private let referenceBuses = Mutex<[(Int32, String)]>([])

/// Runs a process on a Dispatch thread: a blocking `run` inside a task would hold one of
/// the few cooperative threads (two on this machine) and starve the test that feeds it.
func runInBackground(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try run(executable, arguments) })
        }
    }
}

/// Bounds for tests that start a waiting swiftbusctl (monitor, wait) and feed it until it
/// has seen what it waits for: a loaded machine may be slow to start it, but a test must
/// never wait for ever, so the process is killed (`timeout -s KILL`: it inherits the test
/// runner's blocked signals, so SIGTERM would not end it) and the test then fails.
enum Feeding {
    /// Feeds, 250 ms apart, before the test gives up on the waiting process.
    static let attempts = 120
    /// Seconds after which the waiting process is killed.
    static let processDeadline = "45"
}
