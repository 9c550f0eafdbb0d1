// Bench Protocol: the names, members and messages the benchmark's client and server share.
import DBusWire

/// What the benchmark sends: the server's well-known name and interface, its members, the
/// signal subscribers listen for, and the rules that match nothing. The C client on sd-bus
/// uses the same names, so either client can talk to either server.
enum BenchProtocol {
    static let serviceName = "org.swiftbus.Bench"
    static let objectPath = "/org/swiftbus/Bench"
    static let interface = "org.swiftbus.Bench"
    /// Replies with the call's body.
    static let echo = "Echo"
    /// Replies with an empty body (large payloads: the reply would double the traffic).
    static let put = "Put"
    /// Never replied to: the calls stay outstanding in the bus's reply tracker.
    static let sink = "Sink"
    /// Ends the server.
    static let quit = "Quit"
    /// The signal subscribers count, and the one that ends a run.
    static let tick = "Tick"
    static let done = "Done"

    /// The subscriber process's acknowledgement of a burst: on a path of its own, so the
    /// subscribers' rule (exact path) does not match it.
    static let acknowledgementPath = "/org/swiftbus/Bench/Ack"
    static var acknowledgement: Message {
        .signal(path: acknowledgementPath, interface: interface, member: "Ack")
    }
    static var acknowledgementRule: String {
        "type='signal',interface='\(interface)',member='Ack',path='\(acknowledgementPath)'"
    }

    static var tickRule: String { "type='signal',interface='\(interface)',path='\(objectPath)'" }

    /// A rule that matches no message of the run: distinct per index so no bus can merge them,
    /// and on the benchmark's own interface and path, so a bus cannot skip them all by
    /// bucketing rules per interface (as dbus-daemon does): only the member tells them apart.
    static func noiseRule(_ index: Int) -> String {
        "type='signal',interface='\(interface)',member='Noise\(index)',path='\(objectPath)'"
    }

    /// The name the kdbus transport's server owns (beside the classic one, on swiftbusd).
    static let kdbusServiceName = "org.swiftbus.BenchKDBus"

    static func call(_ member: String, payload: Int, flags: MessageFlags = [], destination: String = serviceName) -> Message {
        .methodCall(path: objectPath, interface: interface, member: member, destination: destination,
                    body: [.bytes([UInt8](repeating: 0x5A, count: payload))], flags: flags)
    }

    static func driverCall(_ member: String, _ arguments: [DBusValue]) -> Message {
        .methodCall(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: member,
                    destination: "org.freedesktop.DBus", body: arguments)
    }

    static func signal(_ member: String, payload: Int) -> Message {
        .signal(path: objectPath, interface: interface, member: member,
                body: [.bytes([UInt8](repeating: 0x5A, count: payload))])
    }
}
