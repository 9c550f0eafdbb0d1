// Activation Support: a real swiftbusd with a service directory the test fills.
import DBusWire
import Foundation
import Glibc

/// A swiftbusd whose config has a `<servicedir>` of its own; tests write `.service` files
/// there (before or after the start: the broker rescans when a name is not known).
final class ActivationBus {
    let services: URL
    let broker: BrokerProcess

    /// A real service from the dbus tools: takes `name` on the bus given by
    /// DBUS_SESSION_BUS_ADDRESS (which the broker sets for services it starts on a session
    /// bus) and answers every method call with an empty reply.
    static func echoExec(_ name: String) -> String { "/usr/bin/dbus-test-tool echo --name=\(name)" }

    /// `extraConfig`: more busconfig elements (a `<servicehelper>`, say).
    init(limits: [String: Int] = [:], extraArguments: [String] = [], extraConfig: String = "") throws {
        services = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftbusd-services-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: services, withIntermediateDirectories: true)
        broker = try BrokerProcess(
            limits: limits, policy: BrokerProcess.openPolicy + "\n  <servicedir>\(services.path)</servicedir>\n" + extraConfig,
            extraArguments: extraArguments)
    }

    /// Writes `<fileName ?? name>.service` with `text` verbatim.
    func writeFile(_ fileName: String, _ text: String) throws {
        try text.write(to: services.appendingPathComponent(fileName), atomically: true, encoding: .utf8)
    }

    /// Writes a well-formed service file for `name`.
    func addService(_ name: String, exec: String, extra: String = "") throws {
        try writeFile("\(name).service", "[D-BUS Service]\nName=\(name)\nExec=\(exec)\n\(extra)")
    }

    func client() throws -> TestClient {
        let client = try TestClient(address: broker.address)
        try client.connect()
        return client
    }

    /// Children of the broker that have exited and were not reaped.
    func zombieChildren() -> [Int32] {
        let brokerPID = broker.process.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] == "Z" && Int32(fields[1]) == brokerPID
        }
    }

    func stop() {
        broker.stop()
        try? FileManager.default.removeItem(at: services)
    }
}

/// StartServiceByName(name, 0).
func startService(_ name: String) -> Message {
    driverCall("StartServiceByName", [.string(name), .uint32(0)])
}

/// A method call to `name` that a dbus-test-tool echo service answers.
func callService(_ name: String, flags: MessageFlags = []) -> Message {
    Message.methodCall(path: "/", interface: "com.example.Activation", member: "Ping", destination: name, flags: flags)
}

extension Message {
    /// The error's name and text, for comparing with dbus-daemon's.
    var errorText: (String?, String?) {
        if case .string(let text)? = body.first { return (errorName, text) }
        return (errorName, nil)
    }
}
