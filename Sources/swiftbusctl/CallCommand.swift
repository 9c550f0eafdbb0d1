/// Call Command: call a method with busctl's argument syntax.
import ArgumentParser
import SwiftBus

/// `swiftbusctl call DEST PATH IFACE METHOD [SIGNATURE [ARGS…]]`: prints the reply as
/// `signature value…`, like `busctl call`.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "call", abstract: "Call a method and print its reply.")

    @OptionGroup var bus: BusOptions
    @Option(help: "Seconds to wait for the reply.") var timeout: Double = 25
    @Flag(help: "Do not wait for a reply (NO_REPLY_EXPECTED).") var noReply = false
    @Flag(help: "Print the reply as JSON, as busctl --json=short does.") var json = false
    @Argument var destination: String
    @Argument var path: String
    @Argument var interface: String
    @Argument var method: String
    @Argument(help: "The signature of the arguments.") var signature: String?
    @Argument(parsing: .allUnrecognized, help: "The arguments, in busctl's syntax.") var arguments: [String] = []

    func run() async throws {
        let body = try BusctlArgumentParser.parse(signature: signature ?? "", words: arguments)
        let objectPath = try validatedPath(path)
        let connection = try await bus.connect()
        if noReply {
            let message = Message.methodCall(
                path: objectPath.rawValue, interface: interface, member: method, destination: destination, body: body,
                flags: .noReplyExpected)
            try connection.send(message)
            return
        }
        let message = Message.methodCall(
            path: objectPath.rawValue, interface: interface, member: method, destination: destination, body: body)
        let reply = try await connection.call(message, timeout: .milliseconds(Int64(timeout * 1000)))
        let replyBody = reply.message.body
        if json {
            output(JSON.object([("type", JSON.string(reply.message.signature.string)), ("data", JSON.array(replyBody.map(JSON.value)))]))
        } else if !replyBody.isEmpty {
            output(BusctlValueFormatter.line(replyBody))
        }
    }
}

/// An object path from the command line, or an error that names it.
func validatedPath(_ text: String) throws(BusctlError) -> ObjectPath {
    guard let path = try? ObjectPath(text) else { throw .invalidArgument("'\(text)' is not a valid object path") }
    return path
}
