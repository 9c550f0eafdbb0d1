/// Monitor Command: watch every message on the bus, readable or as JSON.
import ArgumentParser
import SwiftBus

/// `swiftbusctl monitor [--json] [MATCH…]`: becomes a bus monitor and prints every message
/// it is copied — method calls, returns, errors and signals — as `busctl monitor` does.
/// A MATCH holding `=` is a match rule; a bare name (`org.freedesktop.DBus`, `:1.42`) is
/// shown as busctl does it: messages from or to that name.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monitor", abstract: "Print every message on the bus as it passes.")

    @OptionGroup var bus: BusOptions
    @Argument(help: "Match rules, or bus names to watch traffic from and to (default: everything).") var filters: [String] = []
    @Option(help: "A match rule; repeat for several.") var match: [String] = []
    @Flag(help: "One JSON object per message, as busctl --json=short prints.") var json = false
    @Option(help: "Exit after this many messages.") var count: Int?

    func run() async throws {
        let rules = try Self.rules(from: match + filters)
        let connection = try await bus.connect()
        let stream = try await connection.becomeMonitor(matching: rules)
        if !json { output("Monitoring bus message stream.") }
        var printed = 0
        for try await received in stream {
            if Self.isOwnNameLost(received.message, monitor: connection.uniqueName) { continue }
            output(json ? MessageFormatter.json(received.message) : MessageFormatter.readable(received.message))
            printed += 1
            if let count, printed >= count { break }
        }
    }

    /// The rules to give BecomeMonitor: each text with `=` parsed as a rule, each bare name
    /// turned into two (sent by it, sent to it).
    static func rules(from texts: [String]) throws -> [MatchRule] {
        var rules: [MatchRule] = []
        for text in texts {
            let parts = text.contains("=") ? [text] : ["sender='\(text)'", "destination='\(text)'"]
            for part in parts {
                do { rules.append(try MatchRule(parsing: part)) } catch { throw BusctlError.invalidArgument("match rule \(part): \(error)") }
            }
        }
        return rules
    }

    /// The bus tells a new monitor it lost its unique name; that is about us, not the traffic.
    static func isOwnNameLost(_ message: Message, monitor: String) -> Bool {
        guard message.type == .signal, message.sender == "org.freedesktop.DBus", message.member == "NameLost",
            case .string(let name)? = message.body.first
        else { return false }
        return name == monitor
    }
}
