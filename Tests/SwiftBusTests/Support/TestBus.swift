// Test Bus: the reference buses (and swiftbusd when built), started once per test process.
import Foundation
import Glibc
import Synchronization
import Testing

/// One kind of bus the suite runs against.
enum TestBus: String, CustomTestStringConvertible, Sendable, CaseIterable {
    case dbusDaemon = "dbus-daemon"
    case dbusBroker = "dbus-broker"
    case swiftbusd

    var testDescription: String { rawValue }

    /// The buses this machine has: dbus-daemon and dbus-broker always (the test deps
    /// installer provides them); swiftbusd when `.build/debug/swiftbusd` (or `$SWIFTBUSD`)
    /// exists and actually serves a bus (until the broker lands, the binary exits at once).
    static let available: [TestBus] = allCases.filter { (try? $0.address()) != nil }

    /// The address of this bus, starting it on first use.
    func address() throws -> String {
        try BusProcesses.shared.address(of: self)
    }

    /// Starts a private bus of this kind that only the caller uses (e.g. to kill it).
    func startPrivate() throws -> StartedBus {
        try BusProcesses.start(self)
    }
}

/// A running bus: its process group and its address.
struct StartedBus: Sendable {
    let processGroup: pid_t
    let address: String

    /// Stops the bus and everything its helper script started.
    func stop() {
        kill(-processGroup, SIGTERM)
        var status: CInt = 0
        waitpid(processGroup, &status, 0)
    }
}

/// Starts the shared buses once and stops them when the test process exits.
final class BusProcesses: Sendable {
    static let shared = BusProcesses()
    /// How long a bus may take to print its address (dbus-broker needs ~0.2 s, a loaded machine more).
    static let startTimeoutMilliseconds: CInt = 15_000

    private let started = Mutex<[TestBus: Result<StartedBus, BusStartError>]>([:])

    func address(of bus: TestBus) throws -> String {
        let result = started.withLock { started in
            if let known = started[bus] { return known }
            let result = Result { () throws(BusStartError) -> StartedBus in try BusProcesses.start(bus) }
            started[bus] = result
            if case .success(let running) = result { BusProcesses.stopAtExit(running) }
            return result
        }
        return try result.get().address
    }

    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func command(for bus: TestBus) throws(BusStartError) -> [String] {
        switch bus {
        case .dbusDaemon: return ["/bin/bash", packageRoot + "/Tests/Support/start-dbus-daemon.sh"]
        case .dbusBroker: return ["/bin/bash", packageRoot + "/Tests/Support/start-dbus-broker.sh"]
        case .swiftbusd:
            // SWIFTBUSD points at another build (a release one, or the broker branch's).
            let binary = ProcessInfo.processInfo.environment["SWIFTBUSD"] ?? packageRoot + "/.build/debug/swiftbusd"
            guard access(binary, X_OK) == 0 else { throw BusStartError(bus: bus, reason: "\(binary) not built") }
            let directory = NSTemporaryDirectory() + "swiftbusd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return [binary, "--session", "--nofork", "--nopidfile", "--print-address=1", "--address=unix:path=\(directory)/bus"]
        }
    }

    /// Starts dbus-daemon with a configuration made for one test; `configuration` gets the
    /// socket path to listen on.
    static func startDaemon(configuration: (String) -> String) throws -> StartedBus {
        let directory = NSTemporaryDirectory() + "swiftbus-custom-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/bus.conf"
        try configuration(directory + "/bus").write(toFile: config, atomically: true, encoding: .utf8)
        return try spawn(.dbusDaemon, ["/usr/bin/dbus-daemon", "--config-file=\(config)", "--nofork", "--nopidfile", "--print-address=1"])
    }

    /// Spawns the bus in its own process group and reads the address it prints.
    static func start(_ bus: TestBus) throws(BusStartError) -> StartedBus {
        try spawn(bus, try command(for: bus))
    }

    static func spawn(_ bus: TestBus, _ arguments: [String]) throws(BusStartError) -> StartedBus {
        var pipe: [CInt] = [-1, -1]
        guard Glibc.pipe(&pipe) == 0 else { throw BusStartError(bus: bus, reason: "pipe: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        // The bus's own log goes to a file, not the test runner's stderr: dbus-broker writes a
        // "Dispatched N messages" line when it stops, which would land after the test summary.
        let log = "/tmp/swiftbus-test-\(bus)-\(getpid()).log"
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        // The test runner's threads block most signals; a child inheriting that mask would
        // ignore the SIGTERM that stops it.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGHUP)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        argv.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        close(pipe[1])
        defer { close(pipe[0]) }
        guard status == 0 else { throw BusStartError(bus: bus, reason: "posix_spawn: \(status)") }
        guard let line = readLine(from: pipe[0], timeoutMilliseconds: startTimeoutMilliseconds), line.hasPrefix("unix:") else {
            kill(-pid, SIGTERM)
            throw BusStartError(bus: bus, reason: "no address printed (its log: \(log))")
        }
        return StartedBus(processGroup: pid, address: line)
    }

    private static func readLine(from descriptor: CInt, timeoutMilliseconds: CInt) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) == 1, read(descriptor, &byte, 1) == 1 else { return nil }
            if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    private static let toStop = Mutex<[pid_t]>([])

    private static func stopAtExit(_ bus: StartedBus) {
        let first = toStop.withLock { list in
            list.append(bus.processGroup)
            return list.count == 1
        }
        if first {
            atexit {
                for group in BusProcesses.toStop.withLock({ $0 }) { kill(-group, SIGTERM) }
            }
        }
    }
}

struct BusStartError: Error, CustomStringConvertible {
    let bus: TestBus
    let reason: String
    var description: String { "could not start \(bus.rawValue): \(reason)" }
}
