// Broker Fork Tests: --fork with --print-address and --print-pid on pipes, for swiftbusd and,
// as the reference for the same harness, dbus-daemon.
import DBusWire
import Foundation
import Testing

/// The daemons the harness runs: ours, and dbus-daemon when installed.
private let daemons: [String] = [BrokerProcess.executable.path]
    + (FileManager.default.isExecutableFile(atPath: "/usr/bin/dbus-daemon") ? ["/usr/bin/dbus-daemon"] : [])
/// How long the parent may take to print and exit, and the child to let go of the pipes.
private let forkDeadline: TimeInterval = 10

@Suite("swiftbusd --fork", .serialized)
struct BrokerForkTests {
    @Test("--fork: the parent prints address and pid and exits 0, the pipes reach end of file, the child serves",
          arguments: daemons)
    func fork(executable: String) async throws {
        try await offPool {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fork-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let configFile = directory.appendingPathComponent("bus.conf")
            try """
                <busconfig>
                  <type>session</type>
                  <listen>unix:path=\(directory.path)/bus</listen>
                  <auth>EXTERNAL</auth>
                \(BrokerProcess.openPolicy)
                </busconfig>
                """.write(to: configFile, atomically: true, encoding: .utf8)
            let deadline = Date().addingTimeInterval(forkDeadline)
            let parent = try SpawnedParent(executable, ["--config-file=\(configFile.path)", "--fork", "--nopidfile",
                                                       "--print-address=1", "--print-pid=1"])
            // Both pipes must reach end of file: the forked child keeps neither open.
            let printed = try readToEnd(parent.output, before: deadline)
            let lines = printed.split(separator: "\n").map(String.init)
            try #require(lines.count == 2, "printed: \(printed)")
            let child = try #require(pid_t(lines[1]))
            defer { kill(child, SIGKILL) }
            let logged = try readToEnd(parent.errors, before: deadline)
            let status = try parent.waitForExit(before: deadline)
            #expect(status == 0, "exit status \(status); stderr: \(logged)")
            #expect(lines[0].hasPrefix("unix:path=\(directory.path)/bus,guid="))
            #expect(child != parent.pid)
            #expect(kill(child, 0) == 0, "the daemon child is not running")
            let client = try TestClient(address: lines[0])
            try client.connect()
            #expect(try client.call(driverCall("GetId")).type == .methodReturn)
        }
    }
}

/// Reads `descriptor` until end of file; throws if it has not ended by `deadline`.
private func readToEnd(_ descriptor: CInt, before deadline: Date) throws -> String {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let left = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, left) > 0 else {
            throw TestClientError("no end of file within \(forkDeadline) s; read so far: \(String(decoding: data, as: UTF8.self))")
        }
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return String(decoding: data, as: UTF8.self) }
        data += chunk[0..<count]
    }
}

/// The `--fork` parent, spawned with its stdout and stderr on pipes, stdin on /dev/null, no
/// blocked signals (the test runner's mask is not inherited) and no DBUS_DEBUG_OUTPUT.
/// Not Foundation's `Process`: its exit is noticed on a run loop this thread does not run.
private final class SpawnedParent {
    let pid: pid_t
    let output: CInt
    let errors: CInt

    init(_ executable: String, _ arguments: [String]) throws {
        var outputPipe: [CInt] = [0, 0], errorPipe: [CInt] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw TestClientError("pipe failed: errno \(errno)") }
        // Close-on-exec, so no other child this test process spawns holds the pipes open.
        for descriptor in outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "DBUS_DEBUG_OUTPUT" }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for variable in environment { free(variable) } }
        var spawned: pid_t = 0
        let result = posix_spawn(&spawned, executable, &actions, &attributes, argv, environment)
        close(outputPipe[1])
        close(errorPipe[1])
        guard result == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw TestClientError("cannot spawn \(executable): errno \(result)")
        }
        pid = spawned
        output = outputPipe[0]
        errors = errorPipe[0]
    }

    /// The exit status; kills the parent and throws if it has not exited by `deadline`.
    func waitForExit(before deadline: Date) throws -> CInt {
        var status: CInt = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TestClientError("the parent did not exit within \(forkDeadline) s")
            }
            usleep(10_000)
        }
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    deinit {
        close(output)
        close(errors)
    }
}
