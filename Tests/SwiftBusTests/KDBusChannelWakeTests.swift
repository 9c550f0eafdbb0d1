// KDBus Channel Wake Tests: through a real swiftbusd, a KDBusChannel asleep in receive is woken at once.
import BusPlatform
import DBusWire
import Foundation
import Synchronization
import SwiftBus
import Testing

/// Two `KDBusChannel`s ping-pong through a private swiftbusd. Each side waits in `receive`
/// while the other's message crosses the broker, so every message must wake a sleeper: by
/// the broker's futex wake (protocol 3, docs/kdbus-transport.md §4.3). A broker that failed
/// to wake the futex would still deliver, but only after the channel's 20 ms window, when it
/// turns to its doorbell: the round trips below would take 20–40 ms instead of well under 1.
@Suite("kdbus channel wake-ups through swiftbusd")
struct KDBusChannelWakeTests {
    static let rounds = 30

    @Test("a ping-pong through swiftbusd: each receiver is woken at once, not after its futex window")
    func pingPong() async throws {
        let bus = try BusProcesses.startSwiftbusd(limits: [:])
        defer { bus.stop() }
        let socketPath = String(bus.address.dropFirst("unix:path=".count).prefix { $0 != "," })
        let (ping, pingName) = try Self.connect(socketPath)
        let (pong, pongName) = try Self.connect(socketPath)
        let failure = Mutex<String?>(nil)
        let echo = Thread {
            for round in 0..<Self.rounds {
                do {
                    pong.release(try pong.receive(timeoutMilliseconds: 5_000))
                    try pong.send(Self.signal(to: pingName, serial: UInt32(round + 2)))
                } catch {
                    failure.withLock { $0 = "pong, round \(round): \(error)" }
                    return
                }
            }
        }
        echo.start()
        var roundTrips: [Duration] = []
        for round in 0..<Self.rounds {
            let start = ContinuousClock.now
            try ping.send(Self.signal(to: pongName, serial: UInt32(round + 2)))
            ping.release(try ping.receive(timeoutMilliseconds: 5_000))
            roundTrips.append(ContinuousClock.now - start)
        }
        #expect(failure.withLock { $0 } == nil)
        let median = roundTrips.sorted()[Self.rounds / 2]
        #expect(median < .milliseconds(10), "median round trip \(median): a receiver waited out its futex window")
    }

    /// A channel that has said Hello, and its unique name.
    private static func connect(_ socketPath: String) throws -> (KDBusChannel, String) {
        let channel = try KDBusChannel.connect(to: .path(socketPath))
        try channel.send(Message.methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello",
                                            destination: "org.freedesktop.DBus", serial: 1).encoded())
        let reply = try channel.receive()
        defer { channel.release(reply) }
        let message = try Message(decoding: try channel.messageBytes(reply))
        guard case .string(let name)? = message.body.first else { throw KDBusChannelError.protocolViolation("Hello reply without a name") }
        return (channel, name)
    }

    private static func signal(to destination: String, serial: UInt32) throws -> [UInt8] {
        try Message.signal(path: "/org/swiftbus/Wake", interface: "org.swiftbus.Wake", member: "Ping",
                           destination: destination, body: [.uint32(serial)], serial: serial).encoded()
    }
}
