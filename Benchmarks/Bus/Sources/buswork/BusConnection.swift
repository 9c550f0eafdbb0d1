// Bus Connection: one blocking client connection, authenticated and registered with Hello.
import BusPlatform
import DBusWire
import Glibc

/// A client connection built directly on `UnixSocket`, `SASLClient` and `MessageFraming`,
/// with blocking I/O: the benchmark's client does exactly the same work on every bus, and
/// none of it is hidden in a library's scheduler. Messages are read into one growing
/// buffer and handed out as validated `MessageHeaderView`s that live until the next read.
final class BusConnection {
    let socket: UnixSocket
    /// The unique name the bus assigned in its reply to Hello.
    private(set) var uniqueName = ""
    private var nextSerial: UInt32 = 1
    private var inbox: ByteBuffer
    /// Bytes of the message handed out last, dropped from the inbox on the next call.
    private var consumed = 0

    /// Connects to `address` (a `unix:path=` or `unix:abstract=` D-Bus address), authenticates
    /// with EXTERNAL in one pipelined write, as sd-bus does, and sends Hello in the same write.
    init(address: String) throws(BenchError) {
        socket = try Self.connect(address)
        inbox = ByteBuffer(capacity: BenchLimits.initialReceiveBuffer)
        try makeBlocking()
        try authenticateAndHello()
    }

    private static func connect(_ address: String) throws(BenchError) -> UnixSocket {
        let parsed: [DBusAddress]
        do { parsed = try DBusAddress.parseList(address) } catch { throw .setup("bad address \(address): \(error)") }
        for entry in parsed where entry.transport == "unix" {
            let target: UnixSocketAddress? = entry["path"].map { .path($0) } ?? entry["abstract"].map { .abstract($0) }
            guard let target else { continue }
            do { return try UnixSocket.connect(to: target) } catch { throw .setup("connect \(address): \(error)") }
        }
        throw .setup("no unix:path or unix:abstract entry in \(address)")
    }

    /// BusPlatform makes every socket non-blocking for the broker's sake; this client wants
    /// the opposite, so a read simply waits for the bus.
    private func makeBlocking() throws(BenchError) {
        let fd = socket.descriptor.rawValue
        let flags = fcntl(fd, F_GETFL)
        if flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 {
            throw .setup("fcntl O_NONBLOCK: \(Errno.current)")
        }
    }

    private func authenticateAndHello() throws(BenchError) {
        var sasl = SASLClient(credential: .uid(UInt32(getuid())))
        let hello = Message.methodCall(
            path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello",
            destination: "org.freedesktop.DBus")
        let helloSerial = takeSerial()
        try sendAll(sasl.start() + encode(hello, serial: helloSerial))
        while true {
            let chunk = try readSome()
            let step: SASLClient.Step
            do { step = try sasl.feed(UnsafeRawBufferPointer(rebasing: inbox.readable)) } catch {
                throw .protocolViolation("authentication: \(error)")
            }
            if let outcome = step.outcome {
                inbox.drop(outcome.consumedBytes)
                break
            }
            inbox.drop(chunk)
        }
        let reply = try awaitReply(to: helloSerial)
        guard reply.type == .methodReturn else { throw .protocolViolation("Hello failed: \(describe(reply))") }
        var reader = WireReader(buffer: reply.buffer, byteOrder: reply.byteOrder, position: reply.bodyOffset)
        do { uniqueName = try reader.readString().string } catch { throw .protocolViolation("Hello reply: \(error)") }
    }

    /// The next serial; serials never repeat on one connection (wrapping is out of reach here).
    func takeSerial() -> UInt32 {
        defer { nextSerial &+= 1 }
        return nextSerial
    }

    /// `message` encoded with `serial`.
    func encode(_ message: Message, serial: UInt32) throws(BenchError) -> [UInt8] {
        var copy = message
        copy.serial = serial
        do { return try copy.encoded() } catch { throw .protocolViolation("encode \(message.member ?? "?"): \(error)") }
    }

    /// Writes every byte, however many calls that takes.
    func sendAll(_ bytes: [UInt8]) throws(BenchError) {
        let outcome = bytes.withUnsafeBytes { buffer in Result { () throws(BenchError) in try sendAll(buffer) } }
        try outcome.get()
    }

    func sendAll(_ buffer: UnsafeRawBufferPointer) throws(BenchError) {
        var offset = 0
        while offset < buffer.count {
            do {
                offset += try socket.send(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            } catch {
                throw .disconnected("send: \(error)")
            }
        }
    }

    /// Reads whatever the kernel has (at least one byte) into the inbox; returns how many.
    @discardableResult
    private func readSome() throws(BenchError) -> Int {
        inbox.reserveFree(BenchLimits.minimumReadSize)
        let count: Int
        do { count = try socket.descriptor.read(into: inbox.free) } catch { throw .disconnected("read: \(error)") }
        if count == 0 { throw .disconnected("the bus closed the connection") }
        inbox.commit(count)
        return count
    }

    /// The next complete message, validated; valid until the next call on this connection.
    func nextMessage() throws(BenchError) -> MessageHeaderView {
        inbox.drop(consumed)
        consumed = 0
        while true {
            if let length = try completeMessageLength() {
                consumed = length
                do {
                    return try MessageHeaderView(validating: UnsafeRawBufferPointer(rebasing: inbox.readable.prefix(length)))
                } catch {
                    throw .protocolViolation("invalid message from the bus: \(error)")
                }
            }
            try readSome()
        }
    }

    /// True when a whole message is already buffered, so a caller polling many connections
    /// knows whether `nextMessage` would block.
    var hasBufferedMessage: Bool {
        inbox.drop(consumed)
        consumed = 0
        return (try? completeMessageLength()) != nil
    }

    /// True when a message is buffered or data arrives within `seconds`.
    func waitForMessage(seconds: Int) throws(BenchError) -> Bool {
        if hasBufferedMessage { return true }
        var descriptor = pollfd(fd: socket.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, Int32(seconds * 1000))
            if ready > 0 { return true }
            if ready == 0 { return false }
            if errno != EINTR { throw .disconnected("poll: \(Errno.current)") }
        }
    }

    /// Reads once (the caller knows data is waiting).
    func fill() throws(BenchError) { try readSome() }

    private func completeMessageLength() throws(BenchError) -> Int? {
        let readable = UnsafeRawBufferPointer(rebasing: inbox.readable)
        let length: Int?
        do { length = try MessageFraming.messageLength(prefix: readable) } catch {
            throw .protocolViolation("bad framing from the bus: \(error)")
        }
        guard let length, readable.count >= length else {
            if let length { inbox.reserveFree(length - readable.count) }
            return nil
        }
        return length
    }

    /// Reads until the reply to `serial` arrives; everything else (signals, other replies) is skipped.
    func awaitReply(to serial: UInt32) throws(BenchError) -> MessageHeaderView {
        while true {
            let message = try nextMessage()
            if message.replySerial == serial { return message }
        }
    }

    /// Calls a bus driver method with string arguments and waits for its reply.
    @discardableResult
    func callDriver(_ member: String, _ arguments: [DBusValue] = []) throws(BenchError) -> MessageHeaderView {
        let serial = takeSerial()
        try sendAll(encode(BenchProtocol.driverCall(member, arguments), serial: serial))
        let reply = try awaitReply(to: serial)
        if reply.type == .error { throw .protocolViolation("\(member) failed: \(describe(reply))") }
        return reply
    }

    /// A one-line description of a message for error texts.
    func describe(_ message: MessageHeaderView) -> String {
        let name = message.string(.errorName)?.string ?? message.string(.member)?.string ?? "?"
        var text = "\(message.type) \(name)"
        if message.signature.count > 0, message.signature.bytes.first == UInt8(ascii: "s") {
            var reader = WireReader(buffer: message.buffer, byteOrder: message.byteOrder, position: message.bodyOffset)
            if let detail = try? reader.readString() { text += ": \(detail.string)" }
        }
        return text
    }
}
