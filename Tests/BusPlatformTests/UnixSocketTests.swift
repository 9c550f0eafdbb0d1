// Unix socket tests: addresses, listen/accept/connect, stale paths.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct UnixSocketTests {
    @Test func listenAcceptConnectRoundTripOverPath() throws {
        let path = uniqueSocketPath("rt")
        defer { unlink(path) }
        let listener = try UnixSocket.listen(at: .path(path))
        #expect(try listener.isListeningUnixStream())
        #expect(try !hasPendingConnection(listener), "no client yet: accept must report EAGAIN as nil")
        let client = try UnixSocket.connect(to: .path(path))
        let server = try acceptConnection(listener)
        #expect(try server.descriptor.isNonBlocking())
        #expect(try server.descriptor.isCloseOnExec())
        #expect(try client.descriptor.isCloseOnExec())
        #expect(try sendText("hello", over: client) == 5)
        #expect(try receiveText(from: server) == "hello")
    }

    @Test func abstractAddressRoundTrip() throws {
        let name = "swiftbus-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let listener = try UnixSocket.listen(at: .abstract(name))
        let client = try UnixSocket.connect(to: .abstract(name))
        let server = try acceptConnection(listener)
        #expect(try sendText("abstract", over: server) == 8)
        #expect(try receiveText(from: client) == "abstract")
        // The abstract namespace leaves no file behind.
        #expect(access("/\(name)", F_OK) != 0)
    }

    @Test func abstractNameLengthIsExactNotNulPadded() throws {
        // "ab" and "ab\0..." would be different names if the length counted padding.
        let name = "swiftbus-len-\(UInt32.random(in: 0...UInt32.max))"
        let listener = try UnixSocket.listen(at: .abstract(name))
        #expect(throws: SocketError.self) { _ = try UnixSocket.connect(to: .abstract(name + "x")) }
        let client = try UnixSocket.connect(to: .abstract(name))
        _ = client
        #expect(try hasPendingConnection(listener))
    }

    @Test func pathAtTheLengthLimitWorksAndOneMoreIsRejected() throws {
        let prefix = "/tmp/sb-\(getpid())-"
        let atLimit = prefix + String(repeating: "a", count: PlatformLimits.maxSocketPathLength - prefix.utf8.count)
        defer { unlink(atLimit) }
        _ = try UnixSocket.listen(at: .path(atLimit))
        let tooLong = atLimit + "b"
        #expect {
            _ = try UnixSocket.listen(at: .path(tooLong))
        } throws: { error in
            guard case .invalidAddress(_, let reason) = error as? SocketError else { return false }
            return reason.contains("108 bytes long") && reason.contains("limit is 107")
        }
    }

    @Test func abstractNameOverLimitIsRejected() {
        let name = String(repeating: "n", count: PlatformLimits.maxAbstractNameLength + 1)
        #expect(throws: SocketError.self) { _ = try UnixSocket.listen(at: .abstract(name)) }
    }

    @Test func emptyPathAndEmbeddedNulAreRejected() {
        #expect(throws: SocketError.invalidAddress(address: "unix:path=", reason: "a socket path must not be empty")) {
            _ = try UnixSocket.listen(at: .path(""))
        }
        #expect {
            _ = try UnixSocket.connect(to: .path("/tmp/a\u{0}b"))
        } throws: { error in
            guard case .invalidAddress(_, let reason) = error as? SocketError else { return false }
            return reason == "NUL byte at offset 6"
        }
    }

    @Test func connectToNothingIsRefusedOrMissing() {
        #expect {
            _ = try UnixSocket.connect(to: .path(uniqueSocketPath("none")))
        } throws: { error in
            (error as? SocketError)?.errno == .noSuchFile
        }
    }

    @Test func livePathIsNeverTakenOver() throws {
        let path = uniqueSocketPath("live")
        defer { unlink(path) }
        let first = try UnixSocket.listen(at: .path(path))
        #expect {
            _ = try UnixSocket.listen(at: .path(path), replacingStaleSocket: true)
        } throws: { error in
            (error as? SocketError)?.errno == .addressInUse
        }
        // The original listener still serves.
        _ = try UnixSocket.connect(to: .path(path))
        #expect(try hasPendingConnection(first))
    }

    @Test func stalePathFailsByDefaultAndIsReplacedOnRequest() throws {
        let path = uniqueSocketPath("stale")
        defer { unlink(path) }
        do { _ = try UnixSocket.listen(at: .path(path)) }  // closed at once: the file stays, nobody listens
        #expect(access(path, F_OK) == 0)
        #expect {
            _ = try UnixSocket.listen(at: .path(path))
        } throws: { error in
            (error as? SocketError)?.errno == .addressInUse
        }
        let replacement = try UnixSocket.listen(at: .path(path), replacingStaleSocket: true)
        _ = try UnixSocket.connect(to: .path(path))
        #expect(try hasPendingConnection(replacement))
    }

    @Test func socketPairCarriesBytesBothWaysAndEndOfStream() throws {
        let pair = try UnixSocket.pair()
        let a = pair.first
        let b = pair.second
        #expect(try sendText("ping", over: a) == 4)
        #expect(try receiveText(from: b) == "ping")
        #expect(try sendText("pong", over: b) == 4)
        #expect(try receiveText(from: a) == "pong")
        try a.shutdownWriting()
        #expect(try receiveText(from: b) == "")
    }

    @Test func receiveOnEmptySocketIsWouldBlock() throws {
        let pair = try UnixSocket.pair()
        let a = pair.first
        let b = pair.second
        #expect(throws: ReceiveError.system(.wouldBlock)) { _ = try receiveText(from: a) }
        _ = b
    }

    @Test func sendToClosedPeerIsBrokenPipeNotSignal() throws {
        let pair = try UnixSocket.pair()
        let a = pair.first
        let b = pair.second
        do { let closing = consume b; _ = closing }
        #expect(throws: Errno.brokenPipe) { _ = try sendText("x", over: a) }
    }

    @Test func nonBlockingSendReportsPartialCounts() throws {
        let pair = try UnixSocket.pair()
        let a = pair.first
        let b = pair.second
        let big = [UInt8](repeating: 7, count: 8 * 1024 * 1024)
        let sent = try big.withUnsafeBytes { try a.send($0) }
        #expect(sent > 0 && sent < big.count, "a full socket buffer takes part of the data, then says how much")
        #expect(throws: Errno.wouldBlock) { try big.withUnsafeBytes { try a.send($0) } }
        _ = b
    }
}
