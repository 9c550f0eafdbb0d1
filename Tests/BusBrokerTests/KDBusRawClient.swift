// KDBus Raw Client: an upgraded connection driven record by record, to test what a broken client can do.
import BusPlatform
import DBusWire
import Glibc

/// Authenticates with the kdbus extension line and stops right after the POOL record: the
/// test holds the pool memfd itself and writes whatever records (good or malformed) it likes.
final class KDBusRawClient {
    let socket: UnixSocket
    let agreement: KDBusAgreement
    /// The pool memfd as the broker sent it, owned here.
    let poolDescriptor: CInt

    init(address: String, offer: KDBusOffer = KDBusOffer(poolSize: 64 * 1024, arenaSize: 64 * 1024)) throws {
        let path = String(address.dropFirst("unix:path=".count).prefix { $0 != "," })
        socket = try UnixSocket.connect(to: .path(path))
        var sasl = SASLClient(credential: .uid(getuid()), negotiateUnixFDs: true, extensionCommand: offer.commandLine)
        var descriptors = DescriptorList()
        var control = ControlBuffer()
        try Self.write(sasl.start(), to: socket)
        var bytes: [UInt8] = []
        var agreed: KDBusAgreement?
        while agreed == nil {
            let chunk = try Self.read(from: socket, descriptors: &descriptors, control: &control)
            guard let outcome = try sasl.feed(chunk).outcome else { continue }
            guard case .accepted(let line)? = outcome.extensionReply else { throw TestClientError("kdbus refused: \(String(describing: outcome.extensionReply))") }
            agreed = try KDBusAgreement(parsingReply: line, offer: offer)
            bytes = Array(chunk[outcome.consumedBytes...])
        }
        while bytes.count < KDBusLimits.recordSize { bytes += try Self.read(from: socket, descriptors: &descriptors, control: &control) }
        guard case .poolAnnouncement = try KDBusRecord.decode(Array(bytes[0..<KDBusLimits.recordSize]), from: .brokerToClient),
              descriptors.count == 1, let pool = descriptors.take(at: 0) else { throw TestClientError("no POOL record with one fd") }
        agreement = agreed!
        poolDescriptor = pool.take()
    }

    deinit { close(poolDescriptor) }

    /// Sends raw record bytes with `fds` attached.
    func send(_ bytes: [UInt8], fds: [CInt] = []) throws {
        var list = DescriptorList()
        for fd in fds { list.append(FileDescriptor(owning: fcntl(fd, F_DUPFD_CLOEXEC, 0))) }
        _ = try bytes.withUnsafeBytes { try socket.send($0, descriptors: list) }
    }

    /// True when the broker closes the connection within the test timeout.
    func waitForDisconnect() -> Bool {
        var descriptors = DescriptorList()
        var control = ControlBuffer()
        while true {
            do {
                _ = try Self.read(from: socket, descriptors: &descriptors, control: &control)
            } catch let error as TestClientError where error.isEndOfStream {
                return true
            } catch {
                return false
            }
        }
    }

    static func write(_ bytes: [UInt8], to socket: borrowing UnixSocket) throws {
        var sent = 0
        while sent < bytes.count { sent += try bytes.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) } }
    }

    static func read(from socket: borrowing UnixSocket, descriptors: inout DescriptorList, control: inout ControlBuffer) throws -> [UInt8] {
        var poller = pollfd(fd: socket.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, TestClient.timeoutMilliseconds) > 0 else { throw TestClientError("timed out waiting for the broker") }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let result = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0, descriptors: &descriptors, control: &control) }
        if result.byteCount == 0 { throw TestClientError.endOfStream }
        return Array(chunk[0..<result.byteCount])
    }
}
