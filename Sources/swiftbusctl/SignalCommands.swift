/// Signal Commands: emit a signal, or wait for one.
import ArgumentParser
import SwiftBus

/// `swiftbusctl emit PATH IFACE SIGNAL [SIGNATURE [ARGS…]]`.
struct EmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "emit", abstract: "Emit a signal.")

    @OptionGroup var bus: BusOptions
    @Option(help: "Send the signal to this name only.") var destination: String?
    @Argument var path: String
    @Argument var interface: String
    @Argument var signal: String
    @Argument(help: "The signature of the arguments.") var signature: String?
    @Argument(parsing: .allUnrecognized, help: "The arguments, in busctl's syntax.") var arguments: [String] = []

    func run() async throws {
        let body = try BusctlArgumentParser.parse(signature: signature ?? "", words: arguments)
        let objectPath = try validatedPath(path)
        let connection = try await bus.connect()
        try connection.send(Message.signal(
            path: objectPath.rawValue, interface: interface, member: signal, destination: destination, body: body))
        // A round trip to the bus: once it answers, the bus has routed the signal before it.
        _ = try await connection.bus.getId()
    }
}

/// `swiftbusctl wait [SENDER] PATH IFACE SIGNAL`: prints the first matching signal's
/// arguments as `signature value…` and exits.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Wait for a signal and print it.")

    @OptionGroup var bus: BusOptions
    @Option(help: "Seconds to wait before failing (default: forever).") var timeout: Double?
    @Argument(help: "[SENDER] PATH INTERFACE SIGNAL") var words: [String]

    func validate() throws {
        guard words.count == 3 || words.count == 4 else { throw ValidationError("expected [SENDER] PATH INTERFACE SIGNAL") }
    }

    func run() async throws {
        let sender = words.count == 4 ? words[0] : nil
        let tail = Array(words.suffix(3))
        _ = try validatedPath(tail[0])
        let rule = MatchRule(type: .signal, sender: sender, interface: tail[1], member: tail[2], path: tail[0])
        let connection = try await bus.connect()
        let stream = try await connection.messages(matching: rule)
        let limit = timeout
        let message = try await withThrowingTaskGroup(of: Message?.self) { group in
            group.addTask {
                for await received in stream { return received.message }
                return nil
            }
            if let limit {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(limit * 1000)))
                    throw BusctlError.callFailed("no signal \(tail[1]).\(tail[2]) within \(limit) s")
                }
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let message else { throw BusctlError.callFailed("the connection closed before the signal came") }
        let line = BusctlValueFormatter.line(message.body)
        output(line)
    }
}
