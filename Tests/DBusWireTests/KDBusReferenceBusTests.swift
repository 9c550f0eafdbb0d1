// KDBus reference-bus tests: the kdbus offer against real dbus-daemon and dbus-broker processes.
import Foundation
import Glibc
import Testing
@testable import DBusWire

/// A SwiftBus client sends the real offer line, pipelined, to a real classic bus: the bus
/// must answer ERROR, keep the connection authenticated, accept BEGIN, and answer Hello —
/// so the client carries on classic with no reconnect and no extra round trip.
@Suite(.timeLimit(.minutes(1))) struct KDBusReferenceBusTests {
    private static let support = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Support")

    /// A private bus started by one of Tests/Support's scripts, stopped (SIGTERM to the
    /// script, which stops the bus and removes its directory) when the test ends.
    private final class ReferenceBus {
        let process = Process()
        let path: String

        init(script: String) throws {
            let output = Pipe()
            // The test process blocks most signals in its threads, and a spawned child inherits
            // that mask: the script would never see the SIGTERM that stops it. Unblock, then exec.
            let unblockThenRun = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv('/bin/bash', ['bash', sys.argv[1]])"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", unblockThenRun, KDBusReferenceBusTests.support.appendingPathComponent(script).path]
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line: [UInt8] = []
            while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != 0x0A { line.append(byte) }
            let address = String(decoding: line, as: UTF8.self)
            guard let start = address.range(of: "unix:path=") else {
                throw ReferenceBusError(message: "no unix:path address from \(script): \(address)")
            }
            path = String(address[start.upperBound...].prefix { $0 != "," })
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }
    }

    private struct ReferenceBusError: Error { let message: String }

    private func connect(to path: String) throws -> CInt {
        let socket = Glibc.socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        try #require(socket >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8) + [0]) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(result == 0, "connect \(path): errno \(errno)")
        return socket
    }

    private func sendAll(_ bytes: [UInt8], to socket: CInt) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
        try #require(sent == bytes.count)
    }

    private func receive(from socket: CInt) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, $0.count, 0) }
        try #require(count > 0, "the bus hung up")
        return Array(buffer.prefix(count))
    }

    private func frameLength(_ bytes: [UInt8]) throws -> Int? {
        try bytes.withUnsafeBytes { buffer throws(WireError) in try MessageFraming.messageLength(prefix: buffer) }
    }

    @Test(arguments: ["start-dbus-daemon.sh", "start-dbus-broker.sh"])
    func offerIsRefusedAndTheConnectionStaysClassic(script: String) throws {
        let bus = try ReferenceBus(script: script)
        let socket = try connect(to: bus.path)
        defer { close(socket) }
        let offer = KDBusOffer(metadata: [.credentials])
        var client = SASLClient(credential: .socket, negotiateUnixFDs: true, extensionCommand: offer.commandLine)
        let hello = Message.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello",
                                       destination: "org.freedesktop.DBus", serial: 1)
        // Everything, Hello included, leaves in one write: no round trip is spent on the offer.
        try sendAll(client.start() + (try hello.encoded()), to: socket)
        var outcome: SASLClientOutcome?
        var received: [UInt8] = []
        while outcome == nil {
            let chunk = try receive(from: socket)
            let step = try client.feed(chunk)
            #expect(step.output.isEmpty, "pipelined: nothing more to send")
            outcome = step.outcome
            if let outcome { received = Array(chunk.dropFirst(outcome.consumedBytes)) }
        }
        guard case .refused = try #require(outcome?.extensionReply) else {
            Issue.record("a classic bus accepted the kdbus offer: \(String(describing: outcome?.extensionReply))")
            return
        }
        #expect(outcome?.unixFDsAgreed == true)
        var length = try frameLength(received)
        while length.map({ received.count < $0 }) ?? true {
            received += try receive(from: socket)
            length = try frameLength(received)
        }
        let replyLength = try #require(length)
        let reply = try Message(decoding: Array(received.prefix(replyLength)))
        #expect(reply.type == .methodReturn && reply.replySerial == 1, "Hello answered on the classic connection")
    }
}
