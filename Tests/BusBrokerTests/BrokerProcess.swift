// Broker Process: a real swiftbusd, started from the build products for integration tests.
import Foundation
import Glibc

/// A swiftbusd child process on a private socket. Its stderr (the log) goes to a file
/// the test can read; `stop()` sends SIGTERM and waits.
final class BrokerProcess: @unchecked Sendable {
    let process = Process()
    let address: String
    let socketPath: String
    let directory: URL
    let logFile: URL

    /// The session bus's policy: everything allowed.
    static let openPolicy = """
        <policy context="default">
          <allow send_destination="*" eavesdrop="true"/>
          <allow eavesdrop="true"/>
          <allow own="*"/>
        </policy>
        """

    /// Limits written into the test config, by dbus-daemon's names; `policy`: the
    /// `<policy>` blocks.
    init(limits: [String: Int] = [:], policy: String = BrokerProcess.openPolicy, extraArguments: [String] = [],
         environment extraEnvironment: [String: String] = [:], executable: URL = BrokerProcess.executable) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftbusd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("bus").path
        logFile = directory.appendingPathComponent("log")
        let limitLines = limits.map { "  <limit name=\"\($0.key)\">\($0.value)</limit>" }.joined(separator: "\n")
        let config = """
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(socketPath)</listen>
              <auth>EXTERNAL</auth>
            \(policy)
            \(limitLines)
            </busconfig>
            """
        let configFile = directory.appendingPathComponent("bus.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = ["--config-file", configFile.path, "--nofork", "--print-address"] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFTBUSD_LOG_LEVEL"] = "info"
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw BrokerStartFailure(log: (try? String(contentsOf: logFile, encoding: .utf8)) ?? "") }
            line.append(chunk)
        }
        address = String(decoding: line.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// swiftbusd sits next to the test bundle in the build products directory.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["SWIFTBUS_TEST_SWIFTBUSD"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("swiftbusd")
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Starts a swiftbusd, runs `body` with it on a thread of its own (`offPool`: the
    /// tests block on sockets and processes), and stops it whatever happens.
    static func run(limits: [String: Int] = [:], policy: String = BrokerProcess.openPolicy, extraArguments: [String] = [],
                    environment: [String: String] = [:],
                    _ body: (BrokerProcess) throws -> Void) async throws {
        try await offPool {
            let broker = try BrokerProcess(limits: limits, policy: policy, extraArguments: extraArguments, environment: environment)
            defer { broker.stop() }
            try body(broker)
        }
    }

    /// A new client that has authenticated (with fd passing) and said Hello; its unique
    /// name is `uniqueName`.
    func client() throws -> TestClient {
        let client = try TestClient(address: address)
        try client.connect()
        return client
    }

    /// Lines of the log that contain every one of `fragments`.
    func logLines(containing fragments: String...) -> [Substring] {
        log.split(separator: "\n").filter { line in fragments.allSatisfy { line.contains($0) } }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

struct BrokerStartFailure: Error, CustomStringConvertible {
    let log: String
    var description: String { "swiftbusd did not print its address; log:\n\(log)" }
}
