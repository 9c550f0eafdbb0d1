// KDBus Late Descriptor Tests: a RECV seen before its FDS record was read, driven by a hand-made broker side.
import BusPlatform
import DBusWire
import Glibc
import Synchronization
@testable import SwiftBus
import Testing

/// The library's connection (`ConnectionIO` and `ConnectionCore`, without their I/O thread)
/// on one end of a socket pair, and a broker's half on the other, made of the real pool
/// primitives: a `ReceivePool`, `BrokerDoorbells` pipes, a `SendArenaReader`. The test calls
/// the connection's event handlers itself, so it chooses the order in which the doorbell and
/// the socket are seen — the one ordering a real swiftbusd cannot choose (it always sends an
/// FDS record before it publishes the RECV, docs/kdbus-transport.md §5.6, and the client's
/// event loop may still handle the doorbell first).
private final class DrivenConnection {
    let loop: EventLoop
    let core: ConnectionCore
    let io: ConnectionIO
    let brokerSocket: UnixSocket
    var pool: ReceivePool
    let bells: BrokerDoorbells
    let arena: SendArenaReader
    let delivered = Delivered()
    private var recvTail: UInt64 = 0
    private var nextSerial: UInt32 = 1

    static let guid = DBusGUID("0123456789abcdef0123456789abcdef")!
    /// Pool and arena sizes offered (and granted: the broker here lowers nothing).
    static let regionSize = 1 << 20
    static let path = "/org/swiftbus/Late"

    /// The method calls the connection delivered, in order.
    final class Delivered: Sendable {
        let messages = Mutex<[ReceivedMessage]>([])
    }

    /// The broker's SASL hook: agree to the client's offer as it stands.
    private struct Agree: SASLServerExtension {
        let line: String
        mutating func reply(toCommand command: String, argument: String, unixFDsNegotiated: Bool) -> String? {
            command == KDBusNegotiation.command ? line : nil
        }
    }

    /// Authenticates, grants the offer, sends POOL and takes the client's ARENA.
    init(metadata: KDBusMetadataSet = []) throws {
        let pair = try UnixSocket.pair()
        brokerSocket = UnixSocket(adopting: try pair.first.descriptor.duplicate())
        let clientSocket = UnixSocket(adopting: try pair.second.descriptor.duplicate())
        loop = try EventLoop()
        core = ConnectionCore(waker: loop.waker)
        let offer = KDBusOffer(poolSize: Self.regionSize, arenaSize: Self.regionSize, metadata: metadata)
        let sasl = SASLClient(credential: .socket, negotiateUnixFDs: true, extensionCommand: offer.commandLine)
        io = ConnectionIO(core: core, loop: loop, socket: clientSocket, sasl: sasl, offer: offer)
        let delivered = delivered
        core.state.withLock { state in
            state.methodCallHandler = { message in delivered.messages.withLock { $0.append(message) } }
        }
        try io.start()
        io.afterTurn()  // writes the pipelined SASL lines
        let agreement = KDBusAgreement(version: offer.version, poolSize: offer.poolSize, arenaSize: offer.arenaSize,
                                       memfdThreshold: offer.memfdThreshold, metadata: metadata)
        var server = SASLServer(guid: Self.guid, peerUID: getuid(), canPassUnixFDs: true, commandExtension: Agree(line: agreement.replyLine))
        var finished = false
        while !finished {
            var none = DescriptorList()
            let bytes = try Self.receive(from: brokerSocket, descriptors: &none)
            let step = try server.feed(bytes)
            try Self.send(step.reply, on: brokerSocket)
            finished = step.outcome != nil
        }
        pool = try ReceivePool.create(size: agreement.poolSize)
        bells = try BrokerDoorbells.make()
        var ends = DescriptorList(reservingCapacity: 3)
        ends.append(try pool.descriptorForClient())
        ends.append(try bells.clientEnds.wakesClient.duplicate())
        ends.append(try bells.clientEnds.ringsBroker.duplicate())
        try Self.send(KDBusRecord.poolAnnouncement(size: UInt64(agreement.poolSize)).bytes, descriptors: ends, on: brokerSocket)
        io.handleEvents(.readable, in: loop)  // SASL replies and POOL: maps the pool, queues ARENA
        io.afterTurn()  // writes ARENA
        var list = DescriptorList()
        let record = try Self.receive(from: brokerSocket, descriptors: &list)
        guard case .arenaAnnouncement(let size) = try KDBusRecord.decode(record, from: .clientToBroker), let file = list.take(at: 0) else {
            throw KDBusChannelError.protocolViolation("the client's first record is not ARENA with its memfd")
        }
        arena = try SendArenaReader.map(file, expectedSize: Int(size))
    }

    /// Sends an FDS record carrying duplicates of `fds` (the test keeps its own).
    func sendDescriptors(_ fds: [CInt]) throws {
        var list = DescriptorList(reservingCapacity: fds.count)
        for fd in fds { list.append(FileDescriptor(owning: fcntl(fd, F_DUPFD_CLOEXEC, 0))) }
        try Self.send(KDBusRecord.descriptors(count: UInt32(fds.count)).bytes, descriptors: list, on: brokerSocket)
    }

    /// Puts a method call carrying `fdCount` `h` arguments in a slice (after a pidfd item
    /// naming descriptor `fdCount` when `pidfdItem`), publishes its RECV and rings.
    func publishCall(fdCount: Int, pidfdItem: Bool = false) throws {
        var call = Message.methodCall(path: Self.path, interface: "org.swiftbus.Late", member: "Take",
                                      body: (0..<fdCount).map { .unixFD(UInt32($0)) }, serial: nextSerial)
        call.unixFDCount = fdCount
        nextSerial += 1
        let bytes = try call.encoded()
        let pidfdSize = pidfdItem ? KDBusSliceWriter.itemSize(payloadLength: 8) : 0
        let itemsEnd = KDBusSliceHeader.size + pidfdSize + KDBusSliceWriter.itemSize(payloadLength: 16)
        let slice = try pool.allocate(itemsEnd + bytes.count)
        let sequence = UInt64(nextSerial)
        pool.withSliceBytes(slice) { target in
            var writer = KDBusSliceWriter(buffer: target)
            if pidfdItem {
                _ = writer.append(.pidfd, payloadLength: 8) { payload in
                    payload.kdbusStore(UInt32(fdCount), at: 0)
                    payload.kdbusStore(UInt32(0), at: 4)
                }
            }
            _ = writer.append(.payloadInline, payloadLength: 16) { payload in
                payload.kdbusStore(UInt64(itemsEnd), at: 0)
                payload.kdbusStore(UInt64(bytes.count), at: 8)
            }
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: target[itemsEnd..<itemsEnd + bytes.count]).copyMemory(from: $0) }
            writer.finish(sequence: sequence)
        }
        let receive = KDBusRecord.receive(.init(poolOffset: UInt64(slice.offset), length: UInt64(slice.length), fdCount: UInt16(fdCount)))
        let index = recvTail
        receive.bytes.withUnsafeBytes { pool.writeReceiveEntry(index, from: $0) }
        recvTail += 1
        _ = pool.publishReceives(oldTail: index, newTail: recvTail, clientHead: { arena.loadReceiveHead() })
        pool.wakeClient(sleepsOnFutex: arena.loadClientSleepsOnFutex(), doorbell: bells.toClient)
    }

    /// The RECV entries the client has consumed (its `recvHead`).
    var receiveHead: UInt64 { arena.loadReceiveHead() }

    private static func send(_ bytes: [UInt8], descriptors: borrowing DescriptorList = DescriptorList(), on socket: borrowing UnixSocket) throws {
        guard !bytes.isEmpty else { return }
        let sent = try bytes.withUnsafeBytes { raw in
            Result { () throws(Errno) in try socket.send(raw, descriptors: descriptors) }
        }.get()
        #expect(sent == bytes.count)
    }

    /// What the other end wrote so far (it writes before we read: the test drives both).
    private static func receive(from socket: borrowing UnixSocket, descriptors: inout DescriptorList) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var control = ControlBuffer()
        let count = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(ReceiveError) in try socket.receive(into: raw, descriptors: &descriptors, control: &control).byteCount }
        }.get()
        return Array(buffer[0..<count])
    }
}

/// The inode behind `fd`, to tell which open file a received descriptor is.
private func inode(_ fd: CInt) -> UInt {
    var status = stat()
    guard fstat(fd, &status) == 0 else { return 0 }
    return UInt(status.st_ino)
}

@Suite("kdbus: a RECV whose FDS record the client has not read yet", .serialized)
struct KDBusLateDescriptorTests {
    @Test("the doorbell is handled before the socket: the RECV reads its FDS record at once, its fd and the next message follow in order")
    func recvBeforeItsRecordIsRead() throws {
        let connection = try DrivenConnection()
        let pipe = try BusPlatform.Pipe.make()
        // As swiftbusd does: the FDS record completely on the socket, then the RECV.
        try connection.sendDescriptors([pipe.readEnd.rawValue])
        try connection.publishCall(fdCount: 1)
        try connection.publishCall(fdCount: 0)
        // The doorbell first; the socket's readiness is never handled.
        connection.io.doorbellRang(.readable)
        let messages = connection.delivered.messages.withLock { $0 }
        #expect(connection.core.disconnectReason == nil)
        #expect(messages.map(\.message.serial) == [1, 2], "both delivered, in order, from the doorbell alone")
        #expect(connection.receiveHead == 2)
        let received = try #require(messages.first?.fileDescriptors.first?.rawValue)
        #expect(inode(received) == inode(pipe.readEnd.rawValue), "the fd the FDS record carried")
    }

    @Test("a pidfd is the RECV's only descriptor: it too is read from the socket when the doorbell comes first")
    func pidfdAloneBeforeItsRecordIsRead() throws {
        let connection = try DrivenConnection(metadata: .pidfd)
        let pipe = try BusPlatform.Pipe.make()
        try connection.sendDescriptors([pipe.writeEnd.rawValue])
        try connection.publishCall(fdCount: 0, pidfdItem: true)
        connection.io.doorbellRang(.readable)
        let messages = connection.delivered.messages.withLock { $0 }
        #expect(connection.core.disconnectReason == nil)
        #expect(messages.count == 1)
        let process = try #require(messages.first?.senderCredentials?.processDescriptor?.rawValue)
        #expect(inode(process) == inode(pipe.writeEnd.rawValue))
    }

    @Test("a RECV whose FDS record never came ends the connection, naming the missing descriptors")
    func recvWithoutItsRecord() throws {
        let connection = try DrivenConnection()
        try connection.publishCall(fdCount: 2)
        connection.io.doorbellRang(.readable)
        #expect(connection.delivered.messages.withLock { $0.isEmpty })
        let reason = try #require(connection.core.disconnectReason)
        #expect(reason.contains("RECV claiming 2 descriptors") && reason.contains("delivered 0"), "\(reason)")
    }
}
