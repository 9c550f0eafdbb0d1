// Process metadata tests: what /proc says about a real child process, read through its pidfd.
import Foundation
import Testing
@testable import BusPlatform

/// Each test starts a real /usr/bin/python3 that renames itself (comm), connects to a
/// listening socket and waits; the test accepts it, reads its metadata through the pidfd
/// `SO_PEERPIDFD` gave, and compares every field with /proc read independently.
@Suite(.timeLimit(.minutes(1))) struct ProcessMetadataTests {
    private static let probe = #"""
    import ctypes, socket, sys
    ctypes.CDLL(None).prctl(15, b"kmeta-probe", 0, 0, 0)
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.recv(1)
    """#

    /// A connected child: its process, and the broker's side of its connection.
    private struct Child: ~Copyable {
        let process: Process
        let socket: UnixSocket
        var pid: pid_t { process.processIdentifier }

        func kill() {
            // SIGKILL: the test runner's children inherit a blocked signal mask.
            _ = Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private func startChild(extraArguments: [String] = []) async throws -> Child {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"))
        let path = uniqueSocketPath("meta")
        defer { unlink(path) }
        let listener = try UnixSocket.listen(at: .path(path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.probe, path] + extraArguments
        try process.run()
        for _ in 0..<500 {
            if case .some(let socket) = try listener.accept() { return Child(process: process, socket: socket) }
            try await Task.sleep(for: .milliseconds(10))
        }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        throw MissingValue(description: "the child did not connect within 5 s")
    }

    private func procText(_ pid: pid_t, _ name: String) throws -> String {
        try String(contentsOfFile: "/proc/\(pid)/\(name)", encoding: .utf8)
    }

    /// The numbers of a `Key:` line of /proc/PID/status, split on blanks.
    private func statusWords(_ pid: pid_t, _ key: String) throws -> [String] {
        let line = try #require(try procText(pid, "status").split(separator: "\n").first { $0.hasPrefix(key + ":") })
        return line.dropFirst(key.count + 1).split(whereSeparator: \.isWhitespace).map(String.init)
    }

    private func metadata(of child: borrowing Child) throws -> ProcessMetadata {
        #expect(try child.socket.peerProcessCredentials().processID == child.pid)
        let pidfd = try unwrap(try child.socket.peerProcessDescriptor(), "a pidfd from SO_PEERPIDFD")
        return try ProcessMetadata.read(processDescriptor: pidfd, processID: child.pid)
    }

    @Test func everyFieldMatchesProc() async throws {
        let child = try await startChild(extraArguments: ["marker argument", "ünïcode", ""])
        defer { child.kill() }
        let metadata = try metadata(of: child)
        let pid = child.pid

        #expect(String(decoding: metadata.comm, as: UTF8.self) == "kmeta-probe")
        #expect(metadata.arguments == ["/usr/bin/python3", "-c", Self.probe, metadata.arguments[3], "marker argument", "ünïcode", ""])
        #expect(metadata.commandLine?.last == 0)
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        #expect(metadata.executable.map { String(decoding: $0, as: UTF8.self) } == exe)
        #expect(metadata.parentProcessID == getpid())

        let uids = try statusWords(pid, "Uid").map { UInt32($0)! }
        let gids = try statusWords(pid, "Gid").map { UInt32($0)! }
        #expect([metadata.userIDs.real, metadata.userIDs.effective, metadata.userIDs.saved, metadata.userIDs.filesystem] == uids)
        #expect([metadata.groupIDs.real, metadata.groupIDs.effective, metadata.groupIDs.saved, metadata.groupIDs.filesystem] == gids)

        let capabilities = try #require(metadata.capabilities)
        #expect(capabilities.inheritable == UInt64(try statusWords(pid, "CapInh")[0], radix: 16))
        #expect(capabilities.permitted == UInt64(try statusWords(pid, "CapPrm")[0], radix: 16))
        #expect(capabilities.effective == UInt64(try statusWords(pid, "CapEff")[0], radix: 16))
        #expect(capabilities.bounding == UInt64(try statusWords(pid, "CapBnd")[0], radix: 16))
        let lastCap = try String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8)
        #expect(capabilities.lastCapability == UInt32(lastCap.trimmingCharacters(in: .whitespacesAndNewlines)))

        let unified = try procText(pid, "cgroup").split(separator: "\n").first { $0.hasPrefix("0::") }
        #expect(metadata.cgroup.map { String(decoding: $0, as: UTF8.self) } == unified.map { String($0.dropFirst(3)) })
        #expect(metadata.loginUID == UInt32(try procText(pid, "loginuid")))
        #expect(metadata.sessionID == UInt32(try procText(pid, "sessionid")))
    }

    @Test func aCommandLineOver64KiBIsCutAndStillTerminated() async throws {
        let long = String(repeating: "x", count: 100_000)
        let child = try await startChild(extraArguments: [long])
        defer { child.kill() }
        let commandLine = try #require(try metadata(of: child).commandLine)
        #expect(commandLine.count == ProcessMetadata.maxTextLength)
        #expect(commandLine.last == 0)
        #expect(commandLine[commandLine.count - 2] == UInt8(ascii: "x"), "the cut fell inside the long argument")
    }

    @Test func anExitedProcessIsRefusedNotMistaken() async throws {
        let child = try await startChild()
        let pidfd = try unwrap(try child.socket.peerProcessDescriptor(), "a pidfd from SO_PEERPIDFD")
        child.kill()
        #expect(throws: ProcessMetadataError.processExited(child.pid)) {
            _ = try ProcessMetadata.read(processDescriptor: pidfd, processID: child.pid)
        }
    }

    @Test func aPidfdOfAnotherProcessIsCaught() async throws {
        let child = try await startChild()
        defer { child.kill() }
        let pidfd = try unwrap(try child.socket.peerProcessDescriptor(), "a pidfd from SO_PEERPIDFD")
        // Asking about this process with the child's pidfd: /proc/self opens, the check must fail.
        #expect(throws: ProcessMetadataError.processMismatch(expected: getpid(), pidfdNames: child.pid)) {
            _ = try ProcessMetadata.read(processDescriptor: pidfd, processID: getpid())
        }
    }

    private static let forkingWriter = #"""
    import os, socket, sys
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.recv(1)
    s.sendall(b"A")
    child = os.fork()
    if child == 0:
        s.sendall(b"B")
        os._exit(0)
    os.waitpid(child, 0)
    s.sendall(b"C")
    s.recv(1)
    """#

    /// SCM_CREDENTIALS names the process that wrote each byte: the kernel never merges bytes
    /// of different writers into one read, so a fork sharing the socket is told apart.
    @Test func credentialsPerMessageFollowTheWritingProcess() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"))
        let path = uniqueSocketPath("cred")
        defer { unlink(path) }
        let listener = try UnixSocket.listen(at: .path(path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.forkingWriter, path]
        try process.run()
        defer {
            _ = Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        var accepted: UnixSocket?
        for _ in 0..<500 where accepted == nil {
            accepted = try listener.accept()
            if accepted == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let socket = try unwrap(accepted, "the child's connection")
        try socket.setPassCredentials(true)
        _ = try sendText("g", over: socket)

        var arrivals: [(String, ProcessCredentials?)] = []
        var descriptors = DescriptorList()
        var control = ControlBuffer()
        var byte = [UInt8](repeating: 0, count: 16)
        for _ in 0..<500 where arrivals.count < 3 {
            do {
                let result = try byte.withUnsafeMutableBytes { try socket.receive(into: $0, descriptors: &descriptors, control: &control) }
                try #require(result.byteCount > 0, "the child hung up early")
                arrivals.append((String(decoding: byte.prefix(result.byteCount), as: UTF8.self), result.credentials))
            } catch ReceiveError.system(let error) where error == .wouldBlock {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        #expect(arrivals.map(\.0) == ["A", "B", "C"])
        let pids = arrivals.map { $0.1?.processID }
        #expect(pids[0] == process.processIdentifier)
        #expect(pids[1] != nil && pids[1] != process.processIdentifier, "the forked child wrote B")
        #expect(pids[2] == process.processIdentifier)
        #expect(arrivals.allSatisfy { $0.1?.userID == getuid() && $0.1?.groupID == getgid() })
    }

    @Test func cgroupLinePrefersTheUnifiedHierarchy() {
        let hybrid = Array("9:name=systemd:/user.slice\n4:memory:/m\n0::/app.slice/x.service\n".utf8)
        #expect(ProcessMetadata.unifiedCgroup(hybrid) == Array("/app.slice/x.service".utf8))
        let legacy = Array("4:memory:/m\n9:name=systemd:/user.slice\n".utf8)
        #expect(ProcessMetadata.unifiedCgroup(legacy) == Array("/user.slice".utf8))
        #expect(ProcessMetadata.unifiedCgroup(Array("garbage\n".utf8)) == nil)
    }

    @Test func numbersOutOfRangeOrMalformedAreRefused() {
        #expect(ProcessMetadata.decimal(Array("4294967295\n".utf8)) == UInt32.max)
        #expect(ProcessMetadata.decimal(Array("4294967296".utf8)) == nil)
        #expect(ProcessMetadata.decimal(Array("-1".utf8)) == nil)
        #expect(ProcessMetadata.decimal(Array("".utf8)) == nil)
        #expect(ProcessMetadata.hexadecimal(ArraySlice("000001ffffffffff".utf8)) == 0x1ff_ffff_ffff)
        #expect(ProcessMetadata.hexadecimal(ArraySlice("10000000000000000".utf8)) == nil)
        #expect(ProcessMetadata.hexadecimal(ArraySlice("12g".utf8)) == nil)
        #expect(ProcessMetadata.decimals(ArraySlice("0\t1000\t1000 7".utf8)) == [0, 1000, 1000, 7])
    }
}
