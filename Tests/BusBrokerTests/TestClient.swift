// Test Client: a minimal D-Bus client over a real socket, for the integration tests.
import BusPlatform
import DBusWire
import Glibc

/// A blocking client built from DBusWire and BusPlatform: connects, authenticates with
/// EXTERNAL, says Hello, sends and receives whole messages. Every wait has a timeout so
/// a broken broker fails a test instead of hanging it.
final class TestClient {
    let socket: UnixSocket
    private var buffer: [UInt8] = []
    private var descriptors = DescriptorList()
    private var control = ControlBuffer()
    private var nextSerial: UInt32 = 1
    /// Messages received while waiting for something else.
    var backlog: [Message] = []
    private(set) var uniqueName = ""
    /// Descriptors that arrived with received messages, in order.
    var receivedDescriptors: [CInt] = []
    /// The bytes of every message received, by serial, to check what the broker forwarded.
    var rawBySerial: [UInt32: [UInt8]] = [:]
    static let timeoutMilliseconds: CInt = 5000

    init(address: String) throws {
        let path = String(address.dropFirst("unix:path=".count).prefix { $0 != "," })
        socket = try UnixSocket.connect(to: .path(path))
    }

    /// Runs SASL (EXTERNAL, optionally fd passing) and, unless told not to, Hello.
    @discardableResult
    func connect(negotiateFDs: Bool = true, hello: Bool = true) throws -> String {
        var sasl = SASLClient(credential: .uid(getuid()), negotiateUnixFDs: negotiateFDs)
        try sendRaw(sasl.start())
        while true {
            let chunk = try readChunk()
            let step = try sasl.feed(chunk)
            if !step.output.isEmpty { try sendRaw(step.output) }
            if let outcome = step.outcome {
                buffer = Array(chunk[outcome.consumedBytes...])
                break
            }
        }
        guard hello else { return "" }
        let reply = try call(Message.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                                                member: "Hello", destination: "org.freedesktop.DBus"))
        guard case .string(let name)? = reply.body.first else { throw TestClientError("Hello reply without a name: \(reply)") }
        uniqueName = name
        return name
    }

    func takeSerial() -> UInt32 {
        defer { nextSerial += 1 }
        return nextSerial
    }

    /// Sends `message` (assigning a serial when it has none) and returns the serial.
    @discardableResult
    func send(_ message: Message, fds: [CInt] = []) throws -> UInt32 {
        var message = message
        if message.serial == 0 { message.serial = takeSerial() }
        message.unixFDCount = fds.count
        try sendRaw(message.encoded(), fds: fds)
        return message.serial
    }

    func sendRaw(_ bytes: [UInt8], fds: [CInt] = []) throws {
        var list = DescriptorList()
        for fd in fds { list.append(FileDescriptor(owning: fcntl(fd, F_DUPFD_CLOEXEC, 0))) }
        var offset = 0
        while offset < bytes.count {
            try waitFor(Int16(POLLOUT))
            let sent = try bytes.withUnsafeBytes { raw in
                try socket.send(UnsafeRawBufferPointer(rebasing: raw[offset...]), descriptors: list)
            }
            list.removeAll()
            offset += sent
        }
    }

    /// Sends a call and waits for its reply; other messages go to `backlog`.
    func call(_ message: Message) throws -> Message {
        let serial = try send(message)
        return try receive { $0.replySerial == serial && ($0.type == .methodReturn || $0.type == .error) }
    }

    /// The next message (from the backlog first), or throws on timeout or end of stream.
    func receive() throws -> Message {
        if !backlog.isEmpty { return backlog.removeFirst() }
        while true {
            if buffer.count >= 16, let length = try buffer.withUnsafeBytes({ try MessageFraming.messageLength(prefix: $0) }),
               buffer.count >= length {
                let bytes = Array(buffer[0..<length])
                buffer.removeFirst(length)
                let message = try Message(decoding: bytes, unixFDsReceived: descriptors.count)
                rawBySerial[message.serial] = bytes
                // One read can return several messages and the fds of a later one: each
                // message takes only the fds it declares, the rest wait for the next.
                var later = DescriptorList()
                for index in 0..<descriptors.count {
                    guard let fd = descriptors.take(at: index) else { continue }
                    if index < message.unixFDCount { receivedDescriptors.append(fd.take()) } else { later.append(fd) }
                }
                descriptors = later
                return message
            }
            buffer += try readChunk()
        }
    }

    /// Waits for the next message that satisfies `predicate`, keeping the others.
    func receive(where predicate: (Message) -> Bool) throws -> Message {
        if let index = backlog.firstIndex(where: predicate) { return backlog.remove(at: index) }
        while true {
            let message = try receiveFresh()
            if predicate(message) { return message }
            backlog.append(message)
        }
    }

    private func receiveFresh() throws -> Message {
        let saved = backlog
        backlog = []
        defer { backlog = saved + backlog }
        return try receive()
    }

    /// True when the broker closes the connection within the timeout (messages before
    /// the end are skipped).
    func waitForDisconnect() -> Bool {
        while true {
            do {
                _ = try readChunk()
            } catch let error as TestClientError where error.isEndOfStream {
                return true
            } catch {
                return false
            }
        }
    }

    func readChunk() throws -> [UInt8] {
        try waitFor(Int16(POLLIN))
        var chunk = [UInt8](repeating: 0, count: 65536)
        let result = try chunk.withUnsafeMutableBytes { raw in
            try socket.receive(into: raw, descriptors: &descriptors, control: &control)
        }
        if result.byteCount == 0 { throw TestClientError.endOfStream }
        return Array(chunk[0..<result.byteCount])
    }

    private func waitFor(_ events: Int16) throws {
        var poller = pollfd(fd: socket.descriptor.rawValue, events: events, revents: 0)
        let ready = poll(&poller, 1, Self.timeoutMilliseconds)
        if ready == 0 { throw TestClientError("timed out waiting for the broker") }
    }
}

struct TestClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
    static let endOfStream = TestClientError("end of stream")
    var isEndOfStream: Bool { description == "end of stream" }
}
