// Sender Credentials Tests: metadata items from swiftbusd surface on received messages and in handlers.
import Foundation
import Glibc
import Synchronization
@testable import SwiftBus
import Testing

@Suite("sender credentials on swiftbusd", .enabled(if: TestBus.available.contains(.swiftbusd)))
struct SenderCredentialsTests {
    @Test("a server that asked for metadata sees who calls it, per call; one that did not sees nil", arguments: Side.allCases)
    func handlerSeesCaller(client: Side) async throws {
        let address = try TestBus.swiftbusd.address()
        let server = try await Connection.connect(to: address, options: ConnectionOptions(metadata: [.credentials, .pids, .comm, .ownedNames, .timestamp, .pidfd]))
        let plain = try await Connection.connect(to: address)
        let caller = try await Connection.connect(to: address, options: client.options)
        let seen = CredentialsBox()
        for connection in [server, plain] {
            var object = InterfaceImplementation(TestInterface.self)
            object.method(TestInterface.add) { a, b in
                seen.append(MethodContext.current?.senderCredentials)
                return a &+ b
            }
            connection.export(object, at: ServedPair.path)
        }
        let name = "org.swiftbus.CredentialsCaller.\(client)"
        #expect(try await caller.requestName(name) == .primaryOwner)
        for destination in [server.uniqueName, server.uniqueName, plain.uniqueName] {
            let proxy = Proxy<TestInterface>(connection: caller, destination: destination, path: ServedPair.path)
            #expect(try await proxy.call(TestInterface.add, 1, 2) == 3)
        }
        let all = seen.values
        #expect(all.count == 3)
        guard all.count == 3, let first = all[0], let second = all[1] else {
            Issue.record("the metadata-asking server saw no credentials: \(all)")
            return
        }
        #expect(first.processID == UInt32(getpid()) && first.userID == getuid() && first.groupID == getgid())
        #expect(first.ownedNames == [name])
        #expect(first.comm != nil)
        // The pidfd names this very process: the kernel says so in its fdinfo.
        let pidfd = try #require(first.processDescriptor?.rawValue)
        let fdinfo = try String(contentsOfFile: "/proc/self/fdinfo/\(pidfd)", encoding: .utf8)
        #expect(fdinfo.contains("Pid:\t\(getpid())\n"))
        #expect(first.executable == nil, "exe was not asked for")
        #expect(try #require(second.sequence) > #require(first.sequence))
        #expect(all[2] == nil, "the server that asked for nothing gets nil")
    }
}

/// Credentials seen by handlers, in call order.
final class CredentialsBox: Sendable {
    private let storage = Mutex<[SenderCredentials?]>([])
    func append(_ value: SenderCredentials?) { storage.withLock { $0.append(value) } }
    var values: [SenderCredentials?] { storage.withLock { $0 } }
}
