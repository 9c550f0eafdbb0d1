// KDBus Test Client: a D-Bus client on the kdbus transport, for the integration tests.
import BusPlatform
import DBusWire
import Glibc
import SwiftBus

/// A `KDBusChannel` with D-Bus messages on top: Hello, send a `Message`, receive one
/// (decoded from the pool, slice released at once). Messages that arrive while waiting for
/// another are kept, as `TestClient` does.
final class KDBusTestClient {
    let channel: KDBusChannel
    private var nextSerial: UInt32 = 1
    private(set) var uniqueName = ""
    var backlog: [Message] = []
    /// Fds that came with received messages, in order.
    var receivedDescriptors: [CInt] = []
    /// Every RECV in arrival order (slices already released).
    var received: [KDBusReceivedMessage] = []

    init(address: String, offer: KDBusOffer = KDBusOffer(poolSize: 1024 * 1024, arenaSize: 1024 * 1024), hello: Bool = true) throws {
        let path = String(address.dropFirst("unix:path=".count).prefix { $0 != "," })
        // Hello leaves with the SASL lines, classic, as a SwiftBus connection sends it
        // (docs/kdbus-transport.md §2); its reply comes as a RECV in the pool.
        var first: [UInt8] = []
        if hello {
            var message = Message.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello",
                                             destination: "org.freedesktop.DBus")
            message.serial = nextSerial
            nextSerial += 1
            first = try message.encoded()
        }
        channel = try KDBusChannel.connect(to: .path(path), offer: offer, firstMessages: first,
                                           timeoutMilliseconds: TestClient.timeoutMilliseconds)
        if hello {
            let reply = try receive { $0.replySerial == 1 && ($0.type == .methodReturn || $0.type == .error) }
            guard case .string(let name)? = reply.body.first else { throw TestClientError("Hello reply without a name: \(reply)") }
            uniqueName = name
        }
    }

    @discardableResult
    func send(_ message: Message, fds: [CInt] = [], priority: Int32 = 0) throws -> UInt32 {
        var message = message
        if message.serial == 0 {
            message.serial = nextSerial
            nextSerial += 1
        }
        message.unixFDCount = fds.count
        try channel.send(message.encoded(), fds: fds, priority: priority, timeoutMilliseconds: TestClient.timeoutMilliseconds)
        return message.serial
    }

    func call(_ message: Message) throws -> Message {
        let serial = try send(message)
        return try receive { $0.replySerial == serial && ($0.type == .methodReturn || $0.type == .error) }
    }

    /// The next message straight from the pool (not the backlog).
    func receiveFresh(timeoutMilliseconds: Int32 = TestClient.timeoutMilliseconds) throws -> Message {
        let slice = try channel.receive(timeoutMilliseconds: timeoutMilliseconds)
        received.append(slice)
        let bytes = try channel.messageBytes(slice)
        channel.release(slice)
        receivedDescriptors += slice.fds
        // A message with memfd parts may be past D-Bus's limits (docs/kdbus-transport.md §8).
        return try Message(decoding: bytes, unixFDsReceived: slice.fds.count, limits: slice.memfds.isEmpty ? .specification : .memfdCarried)
    }

    func receive() throws -> Message {
        if !backlog.isEmpty { return backlog.removeFirst() }
        return try receiveFresh()
    }

    func receive(where predicate: (Message) -> Bool) throws -> Message {
        if let index = backlog.firstIndex(where: predicate) { return backlog.remove(at: index) }
        while true {
            let message = try receiveFresh()
            if predicate(message) { return message }
            backlog.append(message)
        }
    }

    /// Adds a match rule through the driver.
    func addMatch(_ rule: String) throws {
        let reply = try call(.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "AddMatch",
                                         destination: "org.freedesktop.DBus", body: [.string(rule)]))
        guard reply.type == .methodReturn else { throw TestClientError("AddMatch failed: \(reply)") }
    }
}
