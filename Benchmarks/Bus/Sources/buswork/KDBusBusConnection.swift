// KDBus Bus Connection: one client connection over swiftbusd's kdbus transport.
import BusPlatform
import DBusWire
import SwiftBus

/// A connection through SwiftBus's `KDBusChannel`: messages go out through the send arena
/// and come back as slices of the receive pool, parsed in place. Like `BusConnection`, it
/// says Hello itself and leaves marshalling to the caller, so both transports do the same
/// work around the bus.
final class KDBusBusConnection {
    let channel: KDBusChannel
    /// The unique name the bus assigned in its reply to Hello.
    private(set) var uniqueName = ""
    private var nextSerial: UInt32 = 1

    /// Connects to the `unix:path=` or `unix:abstract=` entry of `address`, negotiating a
    /// pool and an arena large enough for messages of `largestMessage` bytes.
    init(address: String, largestMessage: Int) throws(BenchError) {
        let parsed: [DBusAddress]
        do { parsed = try DBusAddress.parseList(address) } catch { throw .setup("bad address \(address): \(error)") }
        let entry = parsed.first { $0.transport == "unix" }
        guard let target = entry.flatMap({ e in e["path"].map { UnixSocketAddress.path($0) } ?? e["abstract"].map { .abstract($0) } })
        else { throw .setup("no unix:path or unix:abstract entry in \(address)") }
        let room = max(largestMessage + BenchLimits.kdbusHeadroom, KDBusLimits.defaultArenaSize)
        let offer = KDBusOffer(poolSize: max(2 * room, KDBusLimits.defaultPoolSize), arenaSize: room + KDBusLimits.arenaControlSize)
        do { channel = try KDBusChannel.connect(to: target, offer: offer) } catch { throw .setup("kdbus connect: \(error)") }
        var hello = try EncodedMessage(BenchProtocol.driverCall("Hello", []))
        let serial = try send(&hello)
        try awaitReply(to: serial) { reply throws(BenchError) in
            var reader = WireReader(buffer: reply.buffer, byteOrder: reply.byteOrder, position: reply.bodyOffset)
            do { uniqueName = try reader.readString().string } catch { throw .protocolViolation("Hello reply: \(error)") }
        }
    }

    func takeSerial() -> UInt32 {
        defer { nextSerial &+= 1 }
        return nextSerial
    }

    /// Sends `message` with this connection's next serial; returns the serial. `inout`: the
    /// serial is patched in the caller's bytes, as the classic clients do; a copy here would
    /// copy the whole message on every call (16 MiB for the largest rows).
    @discardableResult
    func send(_ message: inout EncodedMessage) throws(BenchError) -> UInt32 {
        let serial = takeSerial()
        message.patchSerial(serial)
        do { try channel.send(message.bytes) } catch { throw .disconnected("kdbus send: \(error)") }
        return serial
    }

    /// Sends bytes already carrying their serial.
    func sendBytes(_ bytes: [UInt8]) throws(BenchError) {
        do { try channel.send(bytes) } catch { throw .disconnected("kdbus send: \(error)") }
    }

    /// Receives the next message and hands it to `body` validated, in the pool; the slice is
    /// given back afterwards. `timeoutMilliseconds` -1 waits for ever (the server, idle
    /// while the runner measures other rows).
    func receive<R>(timeoutMilliseconds: Int32 = KDBusChannel.defaultTimeoutMilliseconds,
                    _ body: (MessageHeaderView) throws(BenchError) -> R) throws(BenchError) -> R {
        let message: KDBusReceivedMessage
        do { message = try channel.receive(timeoutMilliseconds: timeoutMilliseconds) } catch { throw .disconnected("kdbus receive: \(error)") }
        defer { channel.release(message) }
        let outcome: Result<R, BenchError>
        do {
            outcome = try channel.withMessage(message) { bytes in
                Result { () throws(BenchError) in
                    let view: MessageHeaderView
                    do throws(WireError) {
                        do throws(WireError) {
                            view = try MessageHeaderView(validating: bytes)
                        } catch where error.rule.isLengthLimit && !message.memfds.isEmpty {
                            // Past D-Bus's limits: allowed to a message with memfd parts (§8).
                            view = try MessageHeaderView(validating: bytes, limits: .memfdCarried)
                        }
                    } catch { throw .protocolViolation("invalid message from the bus: \(error)") }
                    return try body(view)
                }
            }
        } catch {
            throw .protocolViolation("kdbus slice: \(error)")
        }
        return try outcome.get()
    }

    /// Receives until the reply to `serial`, handing it to `body`; anything else is skipped.
    func awaitReply(to serial: UInt32, _ body: (MessageHeaderView) throws(BenchError) -> Void = { _ in }) throws(BenchError) {
        while true {
            let done = try receive { message throws(BenchError) -> Bool in
                guard message.replySerial == serial else { return false }
                if message.type == .error { throw .protocolViolation("call \(serial) failed: \(message.string(.errorName)?.string ?? "?")") }
                try body(message)
                return true
            }
            if done { return }
        }
    }
}
