// Peer credential tests: what accept learns about the connecting process.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct PeerCredentialsTests {
    @Test func acceptedPeerIsThisProcess() throws {
        let path = uniqueSocketPath("cred")
        defer { unlink(path) }
        let listener = try UnixSocket.listen(at: .path(path))
        let client = try UnixSocket.connect(to: .path(path))
        let server = try acceptConnection(listener)
        let credentials = try server.peerCredentials()
        #expect(credentials.process == ProcessCredentials(processID: getpid(), userID: getuid(), groupID: getgid()))
        #expect(try client.peerProcessCredentials().processID == getpid())

        var expectedGroups = [gid_t](repeating: 0, count: 1024)
        let count = getgroups(CInt(expectedGroups.count), &expectedGroups)
        #expect(credentials.groups.sorted() == Array(expectedGroups.prefix(Int(count))).sorted())
    }

    @Test func peerPIDFDNamesThisProcess() throws {
        let pair = try UnixSocket.pair()
        let pidfd = try unwrap(try pair.first.peerProcessDescriptor(), "SO_PEERPIDFD, which this kernel (6.x) has")
        // /proc/self/fdinfo of a pidfd carries "Pid:\t<pid>".
        let info = try readFile("/proc/self/fdinfo/\(pidfd.rawValue)")
        #expect(info.contains("Pid:\t\(getpid())\n"))
        #expect(try pidfd.isCloseOnExec())
        _ = pair.second
    }

    @Test func securityLabelIsNilWithoutALabellingModuleOrAString() throws {
        let pair = try UnixSocket.pair()
        let label = try pair.first.peerSecurityLabel()
        // Without an LSM the kernel says ENOPROTOOPT (nil); with one, a non-empty label.
        if let label { #expect(!label.isEmpty) }
        _ = pair.second
    }

    @Test func peerCredentialsOnANonSocketFail() throws {
        let pipe = try Pipe.make()
        let notSocket = UnixSocket(adopting: try pipe.readEnd.duplicate())
        #expect(throws: Errno.notSocket) { _ = try notSocket.peerProcessCredentials() }
    }

    private func readFile(_ path: String) throws -> String {
        let raw = open(path, O_RDONLY | O_CLOEXEC)
        guard raw >= 0 else { throw Errno.current }
        let file = FileDescriptor(owning: raw)
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0) }
        return String(decoding: bytes.prefix(count), as: UTF8.self)
    }
}
