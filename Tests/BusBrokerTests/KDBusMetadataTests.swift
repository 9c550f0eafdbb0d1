// KDBus metadata tests: the items a real swiftbusd attaches about real sender processes.
import BusPlatform
import DBusWire
import Foundation
import Glibc
import SwiftBus
import Testing

/// A pool receiver asks for metadata items at negotiation; senders are real processes (a
/// python3 raw D-Bus peer that renames itself, and this test's own clients). Each item is
/// checked against what /proc, the kernel or the bus says about the sender.
@Suite("kdbus metadata items through swiftbusd", .serialized, .timeLimit(.minutes(1)))
struct KDBusMetadataTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".venv/bin/python3").path

    /// Sends `Ping` signals (body: a tag) to argv[2]; with argv[3] == "fork", the middle one
    /// from a forked child on the same connection. Then waits for stdin to close, so the test
    /// can compare with /proc while it lives.
    static let sender = #"""
    import ctypes, os, sys
    sys.path.insert(0, sys.argv[4])
    from raw_peer import RawPeer
    from dbus_fast import Message, MessageType
    ctypes.CDLL(None).prctl(15, b"kmeta-sender", 0, 0, 0)
    peer = RawPeer(sys.argv[1])
    peer.authenticate()
    peer.hello()
    def ping(tag):
        peer.send(peer.marshal(Message(message_type=MessageType.SIGNAL, path="/kmeta", interface="org.example.Meta",
                                       member="Ping", destination=sys.argv[2], signature="s", body=[tag])))
    ping("A")
    if sys.argv[3] == "fork":
        child = os.fork()
        if child == 0:
            ping("B")
            os._exit(0)
        os.waitpid(child, 0)
        ping("C")
    sys.stdin.read()
    """#

    /// A message received from the pool with its slice's metadata and pidfd.
    struct Received {
        var message: Message
        var metadata: KDBusMetadata
        var pidfd: CInt?
        var sequence: UInt64
    }

    private func receive(_ client: KDBusTestClient, where predicate: (Message) -> Bool) throws -> Received {
        while true {
            let slice = try client.channel.receive(timeoutMilliseconds: TestClient.timeoutMilliseconds)
            let bytes = try client.channel.messageBytes(slice)
            client.channel.release(slice)
            let message = try Message(decoding: bytes, unixFDsReceived: slice.fds.count)
            if predicate(message) {
                return Received(message: message, metadata: slice.metadata, pidfd: slice.processDescriptor, sequence: slice.sequence)
            }
            if let pidfd = slice.processDescriptor { close(pidfd) }
        }
    }

    private func ping(_ tag: String, from sender: String? = nil) -> (Message) -> Bool {
        { message in
            message.member == "Ping" && message.body.first == .string(tag) && (sender == nil || message.sender == sender)
        }
    }

    private func pool(_ broker: BrokerProcess, metadata: KDBusMetadataSet) throws -> KDBusTestClient {
        try KDBusTestClient(address: broker.address, offer: KDBusOffer(poolSize: 1 << 20, arenaSize: 1 << 20, metadata: metadata))
    }

    /// Starts the python sender; its stdin stays open until `finish`.
    private func startSender(_ broker: BrokerProcess, to receiver: String, mode: String) throws -> (Process, Foundation.Pipe) {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python), "the test venv (scripts/install-test-deps.sh)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-c", Self.sender, broker.socketPath, receiver, mode, Self.root.appendingPathComponent("Tests/Interop").path]
        let input = Foundation.Pipe()
        process.standardInput = input
        try process.run()
        return (process, input)
    }

    private func finish(_ process: Process, _ input: Foundation.Pipe) {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private func status(_ pid: pid_t, _ key: String) throws -> [String] {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(key + ":") })
        return line.dropFirst(key.count + 1).split(whereSeparator: \.isWhitespace).map(String.init)
    }

    private func nanoseconds(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    @Test("every item about a python3 sender equals what /proc and the kernel say")
    func itemsMatchProc() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let receiver = try pool(broker, metadata: .all)
        let (before, beforeWall) = (nanoseconds(CLOCK_MONOTONIC), nanoseconds(CLOCK_REALTIME))
        let (process, input) = try startSender(broker, to: receiver.uniqueName, mode: "once")
        defer { finish(process, input) }
        let got = try receive(receiver, where: ping("A"))
        let (after, afterWall) = (nanoseconds(CLOCK_MONOTONIC), nanoseconds(CLOCK_REALTIME))
        let pid = process.processIdentifier
        let metadata = got.metadata

        let uids = try status(pid, "Uid").map { UInt32($0)! }
        let gids = try status(pid, "Gid").map { UInt32($0)! }
        #expect(metadata.credentials == .init(uid: uids[0], euid: uids[1], suid: uids[2], fsuid: uids[3],
                                              gid: gids[0], egid: gids[1], sgid: gids[2], fsgid: gids[3]))
        #expect(metadata.processIDs == .init(pid: UInt32(pid), tid: 0, ppid: UInt32(getpid())))
        #expect(metadata.comm == "kmeta-sender")
        #expect(metadata.executable == (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")))
        let cmdline = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        #expect(metadata.commandLine == cmdline.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) })
        #expect(metadata.commandLine?.count == 7 && metadata.commandLine?[1] == "-c" && metadata.commandLine?[2] == Self.sender)
        let cgroup = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("0::") }
        #expect(metadata.cgroup == cgroup.map { String($0.dropFirst(3)) })
        let capabilities = try #require(metadata.capabilities)
        #expect(capabilities.effective == UInt64(try status(pid, "CapEff")[0], radix: 16))
        #expect(capabilities.bounding == UInt64(try status(pid, "CapBnd")[0], radix: 16))
        #expect(metadata.audit == .init(loginUID: UInt32(try String(contentsOfFile: "/proc/\(pid)/loginuid", encoding: .utf8))!,
                                        sessionID: UInt32(try String(contentsOfFile: "/proc/\(pid)/sessionid", encoding: .utf8))!))
        let groups = try status(pid, "Groups").map { UInt32($0)! }
        #expect(Set(metadata.groups ?? []) == Set(groups + [gids[0]]), "supplementary groups plus the primary, as GetConnectionCredentials")
        #expect(metadata.ownedNames == nil, "the sender owns no well-known name")

        let time = try #require(metadata.timestamp)
        #expect(time.sequence == got.sequence, "the item repeats the slice header's sequence")
        #expect(time.monotonicNanoseconds >= before && time.monotonicNanoseconds <= after)
        #expect(time.realtimeNanoseconds >= beforeWall && time.realtimeNanoseconds <= afterWall)

        let pidfd = try #require(got.pidfd, "a pidfd travels after the message's fds")
        defer { close(pidfd) }
        #expect(metadata.pidfdIndex == 0)
        let info = try String(contentsOfFile: "/proc/self/fdinfo/\(pidfd)", encoding: .utf8)
        #expect(info.contains("Pid:\t\(pid)\n"), "the pidfd names the sender")

        let credentials = SenderCredentials(metadata, asked: .all, processDescriptor: UnixFD(owning: dup(pidfd)))
        #expect(credentials.processID == UInt32(pid) && credentials.comm == "kmeta-sender" && credentials.ownedNames == [])
    }

    @Test("pid is per message: a forked child writing on the same connection is named as itself")
    func pidPerMessage() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let receiver = try pool(broker, metadata: [.pids, .credentials])
        let (process, input) = try startSender(broker, to: receiver.uniqueName, mode: "fork")
        defer { finish(process, input) }
        let a = try receive(receiver, where: ping("A"))
        let b = try receive(receiver, where: ping("B"))
        let c = try receive(receiver, where: ping("C"))
        let parent = UInt32(process.processIdentifier)
        #expect(a.metadata.processIDs?.pid == parent)
        #expect(b.metadata.processIDs?.pid != parent && b.metadata.processIDs?.pid != 0, "B came from the forked child")
        #expect(c.metadata.processIDs?.pid == parent)
        #expect(b.metadata.processIDs?.ppid == UInt32(getpid()), "ppid is the connection's, cached at connect")
        #expect([a, b, c].allSatisfy { $0.metadata.credentials?.uid == getuid() && $0.metadata.pidfdIndex == nil })
    }

    @Test("names are the sender's well-known names when it sent: acquire, send, release, send")
    func namesAtSendTime() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let receiver = try pool(broker, metadata: [.ownedNames, .pids])
        let sender = try TestClient(address: broker.address)
        try sender.connect()
        func driver(_ member: String, _ name: String, _ extra: [DBusValue] = []) throws -> Message {
            try sender.call(.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: member,
                                        destination: "org.freedesktop.DBus", body: [.string(name)] + extra))
        }
        func send(_ tag: String) throws {
            try sender.send(.signal(path: "/kmeta", interface: "org.example.Meta", member: "Ping",
                                    destination: receiver.uniqueName, body: [.string(tag)]))
        }
        _ = try driver("RequestName", "org.example.MetaOne", [.uint32(0)])
        _ = try driver("RequestName", "org.example.MetaTwo", [.uint32(0)])
        try send("owning")
        _ = try driver("ReleaseName", "org.example.MetaOne")
        try send("one-released")
        _ = try driver("ReleaseName", "org.example.MetaTwo")
        try send("none")
        #expect(try receive(receiver, where: ping("owning")).metadata.ownedNames == ["org.example.MetaOne", "org.example.MetaTwo"])
        #expect(try receive(receiver, where: ping("one-released")).metadata.ownedNames == ["org.example.MetaTwo"])
        let last = try receive(receiver, where: ping("none")).metadata
        #expect(last.ownedNames == nil && last.processIDs?.pid == UInt32(getpid()))
    }

    @Test("the sequence number strictly increases across senders, classic and pool")
    func sequenceAcrossSenders() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let receiver = try pool(broker, metadata: [.timestamp])
        let classic = try TestClient(address: broker.address)
        try classic.connect()
        let pooled = try KDBusTestClient(address: broker.address)
        for index in 0..<20 {
            let message = Message.signal(path: "/kmeta", interface: "org.example.Meta", member: "Ping",
                                         destination: receiver.uniqueName, body: [.string("\(index)")])
            if index % 2 == 0 { try classic.send(message) } else { try pooled.send(message) }
        }
        // The two senders' sockets are read in whatever order the loop finds them; what must
        // hold is the order of receipt: the receiver gets the messages in increasing sequence.
        var previous: KDBusMetadata.Timestamp?
        var tags: Set<DBusValue> = []
        for index in 0..<20 {
            let got = try receive(receiver) { $0.member == "Ping" }
            tags.insert(got.message.body[0])
            let time = try #require(got.metadata.timestamp)
            #expect(time.sequence == got.sequence)
            if let previous {
                #expect(time.sequence > previous.sequence, "message \(index)")
                #expect(time.monotonicNanoseconds >= previous.monotonicNanoseconds)
            }
            previous = time
        }
        #expect(tags == Set((0..<20).map { DBusValue.string("\($0)") }))
    }

    @Test("a receiver that asked for none gets no items; messages from the bus carry only the timestamp")
    func noneAndDriver() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let quiet = try pool(broker, metadata: [])
        let curious = try pool(broker, metadata: .all)
        for receiver in [quiet, curious] {
            try quiet.send(.signal(path: "/kmeta", interface: "org.example.Meta", member: "Ping",
                                   destination: receiver.uniqueName, body: [.string("x")]), fds: [], priority: 0)
        }
        let plain = try receive(quiet, where: ping("x"))
        #expect(plain.metadata == KDBusMetadata() && plain.pidfd == nil)
        #expect(try receive(curious, where: ping("x")).metadata.comm != nil)

        let serial = try curious.send(.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                                                  member: "GetId", destination: "org.freedesktop.DBus"), fds: [], priority: 0)
        let reply = try receive(curious) { $0.replySerial == serial }
        #expect(reply.metadata.timestamp != nil)
        var rest = reply.metadata
        rest.timestamp = nil
        #expect(rest == KDBusMetadata() && reply.pidfd == nil, "the bus has no process to describe")
    }

    @Test("GetConnectionCredentials still answers as dbus-daemon does")
    func driverCredentialsUnchanged() throws {
        let broker = try BrokerProcess()
        defer { broker.stop() }
        let client = try TestClient(address: broker.address)
        let name = try client.connect()
        let reply = try client.call(.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                                                member: "GetConnectionCredentials", destination: "org.freedesktop.DBus",
                                                body: [.string(name)]))
        #expect(reply.type == .methodReturn && reply.signature.description == "a{sv}")
        let text = "\(reply.body)"
        #expect(text.contains("UnixUserID") && text.contains("ProcessID") && !text.contains("comm"))
    }
}
