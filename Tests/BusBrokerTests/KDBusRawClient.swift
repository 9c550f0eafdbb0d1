// KDBus Raw Client: an upgraded connection driven entry by entry, to test what a broken client can do.
import BusPlatform
import DBusWire
import Glibc

/// Authenticates with the kdbus extension line and stops right after the POOL record
/// (pool memfd + both doorbell ends): the test holds them itself, creates its own arena,
/// and writes whatever socket records and command-ring entries (good or malformed) it likes.
final class KDBusRawClient {
    let socket: UnixSocket
    let agreement: KDBusAgreement
    /// The pool memfd as the broker sent it, owned here.
    let poolDescriptor: CInt
    let pool: PoolView
    /// The to-client doorbell's read end and the to-broker doorbell's write end.
    let wakes: DoorbellListener
    let ringer: DoorbellRinger
    /// The client's own arena (announced by `announceArena`).
    var arena: SendArena
    /// Command entries published, RECV entries consumed.
    private(set) var commandTail: UInt64 = 0
    private(set) var receiveHead: UInt64 = 0

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
              descriptors.count == 3, let poolFile = descriptors.take(at: 0), let wakeEnd = descriptors.take(at: 1),
              let ringEnd = descriptors.take(at: 2) else { throw TestClientError("no POOL record with three fds (\(descriptors.count))") }
        agreement = agreed!
        poolDescriptor = poolFile.take()
        pool = try PoolView.map(FileDescriptor(owning: fcntl(poolDescriptor, F_DUPFD_CLOEXEC, 0)), expectedSize: agreement.poolSize)
        wakes = DoorbellListener(adopting: wakeEnd)
        ringer = DoorbellRinger(adopting: ringEnd)
        arena = try SendArena.create(size: agreement.arenaSize)
    }

    deinit { close(poolDescriptor) }

    /// Sends raw socket bytes with `fds` attached.
    func send(_ bytes: [UInt8], fds: [CInt] = []) throws {
        var list = DescriptorList()
        for fd in fds { list.append(FileDescriptor(owning: fcntl(fd, F_DUPFD_CLOEXEC, 0))) }
        _ = try bytes.withUnsafeBytes { try socket.send($0, descriptors: list) }
    }

    /// Sends ARENA for the client's own arena.
    func announceArena() throws {
        let descriptor = try arena.descriptorForBroker()
        try send(KDBusRecord.arenaAnnouncement(size: UInt64(agreement.arenaSize)).bytes, fds: [descriptor.rawValue])
    }

    /// Writes `entry` (32 bytes, any content) into the command ring and publishes it;
    /// rings the broker always (ringing more often than the wake rule asks is correct).
    func publish(_ entry: [UInt8]) {
        entry.withUnsafeBytes { arena.writeCommandEntry(commandTail, from: $0) }
        publishTail(commandTail + 1)
    }

    /// Stores any `commandTail` (an impossible one, say) and rings: always, or per the wake rule.
    func publishTail(_ tail: UInt64, ringAlways: Bool = true) {
        let mustRing = arena.publishCommands(oldTail: commandTail, newTail: tail) { pool.loadCommandHead() }
        commandTail = tail
        if ringAlways || mustRing { ringer.ring() }
    }

    /// Marshals `message` into the arena and publishes its SEND.
    /// Pool slices read and not yet freed: their FREE goes out with the next SEND.
    private var heldFrees: [UInt64] = []

    /// Marshals `message` into the arena and publishes its SEND, after a FREE entry for
    /// the slices held since the last SEND (one doorbell for both, as a real client does).
    func sendMessage(_ message: [UInt8], fdCount: UInt16 = 0, priority: Int32 = 0) throws {
        arena.reclaim(sendsConsumed: pool.loadSendsConsumed())
        let slice = try arena.write(length: message.count) { $0.copyBytes(from: message) }
        var tail = commandTail
        for free in KDBusRecord.Free.batch(heldFrees) {
            KDBusRecord.free(free).bytes.withUnsafeBytes { arena.writeCommandEntry(tail, from: $0) }
            tail += 1
        }
        heldFrees.removeAll(keepingCapacity: true)
        KDBusRecord.send(.init(arenaOffset: UInt64(slice.offset), length: UInt64(message.count), priority: priority, fdCount: fdCount))
            .bytes.withUnsafeBytes { arena.writeCommandEntry(tail, from: $0) }
        publishTail(tail + 1, ringAlways: false)
    }

    /// Holds `receive`'s slice for a FREE with the next SEND.
    func holdFree(_ receive: KDBusRecord.Receive) { heldFrees.append(receive.poolOffset) }

    /// Stores any `recvHead` (an impossible one, say).
    func storeReceiveHead(_ head: UInt64) {
        _ = arena.finishReceivePass(head: head) { pool.loadReceiveTail() }
        receiveHead = head
    }

    /// The next RECV-ring entry, decoded, waiting on the to-client doorbell for it.
    func nextEntry() throws -> KDBusRecord {
        while true {
            let tail = pool.loadReceiveTail()
            if tail != receiveHead {
                var entry = [UInt8](repeating: 0, count: KDBusLimits.recordSize)
                entry.withUnsafeMutableBytes { pool.copyReceiveEntry(receiveHead, into: $0) }
                receiveHead += 1
                _ = arena.finishReceivePass(head: receiveHead) { pool.loadReceiveTail() }
                if pool.loadBrokerWaitsForRecvSpace() { ringer.ring() }
                return try KDBusRecord.decode(entry, from: .brokerToClient)
            }
            var poller = pollfd(fd: wakes.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, TestClient.timeoutMilliseconds) > 0 else { throw TestClientError("timed out waiting for a RECV entry") }
            _ = try wakes.drain()
        }
    }

    /// The next RECV whose slice decodes to a message, with its slice text (for names).
    func nextMessageText() throws -> String {
        while true {
            guard case .receive(let receive) = try nextEntry() else { continue }
            return try pool.withSlice(offset: receive.poolOffset, length: receive.length) { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// True once the broker has closed the connection (a non-blocking peek).
    var isGone: Bool {
        var byte: UInt8 = 0
        return recv(socket.descriptor.rawValue, &byte, 1, CInt(MSG_PEEK | MSG_DONTWAIT)) == 0
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
