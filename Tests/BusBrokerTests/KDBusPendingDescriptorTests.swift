// KDBus Pending Descriptor Tests: fds claimed by kdbus records end the pending-fd period.
import DBusWire
import Glibc
import Testing

/// `pending_fd_timeout` ends a connection that holds fds whose message never completes. An
/// upgraded client's fds are claimed by records (ARENA's memfd, a SEND's fds), not by
/// classic messages; the broker once noted them as pending when they arrived and never
/// noticed the record took them, so every kdbus client was disconnected one timeout after
/// connecting (150 s by default — the benchmark's kdbus server died that way mid-run).
@Suite("kdbus transport: fds claimed by records are not pending", .serialized)
struct KDBusPendingDescriptorTests {
    /// Short enough for a test, long enough that a loaded machine still delivers in time.
    static let timeoutMilliseconds = 300

    @Test("a kdbus client whose ARENA memfd and SEND fds were claimed outlives pending_fd_timeout")
    func claimedDescriptorsDoNotTimeOut() async throws {
        try await BrokerProcess.run(limits: ["pending_fd_timeout": Self.timeoutMilliseconds]) { broker in
            let client = try KDBusTestClient(address: broker.address)
            var pipeEnds: [CInt] = [0, 0]
            #expect(pipe(&pipeEnds) == 0)
            defer { close(pipeEnds[0]); close(pipeEnds[1]) }
            try client.send(.methodCall(path: "/obj", interface: "com.example.Fd", member: "Take",
                                        destination: client.uniqueName, body: [.unixFD(0)]), fds: [pipeEnds[1]])
            _ = try client.receive { $0.member == "Take" }
            for fd in client.receivedDescriptors { close(fd) }
            usleep(useconds_t(3 * Self.timeoutMilliseconds * 1000))
            let reply = try client.call(driverCall("GetId"))
            #expect(reply.type == .methodReturn)
            #expect(!broker.log.contains("pending for too long"), "log: \(broker.log)")
        }
    }
}
