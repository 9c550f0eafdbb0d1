/// swiftbusctl: introspect and talk to a D-Bus bus, in the spirit of busctl.
import ArgumentParser
import Foundation
import SwiftBus

/// The root command: a table of subcommands, each built on the SwiftBus library only.
@main
struct Swiftbusctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftbusctl",
        abstract: "Introspect and talk to a D-Bus message bus.",
        subcommands: [
            ListCommand.self, StatusCommand.self, CallCommand.self, GetPropertyCommand.self, SetPropertyCommand.self,
            IntrospectCommand.self, TreeCommand.self, MonitorCommand.self, EmitCommand.self, WaitCommand.self,
        ])

    /// Runs the command; a failure is one line on stderr and exit status 1, as busctl does.
    static func main() async {
        do {
            var command = try parseAsRoot(globalOptionsMoved(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as BusctlError {
            fail(error.description)
        } catch let error as DBusError {
            fail(error.description)
        } catch let error as ConnectionError {
            fail(error.description)
        } catch {
            exit(withError: error)
        }
    }

    /// busctl takes `--address`, `--user` and `--system` before the verb; the parser wants
    /// them with the subcommand, so they move behind its name.
    static func globalOptionsMoved(_ arguments: [String]) -> [String] {
        var global: [String] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--user" || word == "--system" || word.hasPrefix("--address=") {
                global.append(word)
            } else if word == "--json" || word == "--json=short" {
                global.append("--json")
            } else if word == "--address", index + 1 < arguments.count {
                global += [word, arguments[index + 1]]
                index += 1
            } else {
                break
            }
            index += 1
        }
        guard index < arguments.count else { return arguments }
        return [arguments[index]] + global + arguments[(index + 1)...]
    }

    static func fail(_ line: String) -> Never {
        FileHandle.standardError.write(Data("swiftbusctl: \(line)\n".utf8))
        Foundation.exit(1)
    }
}

/// Which bus to talk to: `--address`, `--user` (the default) or `--system`.
struct BusOptions: ParsableArguments {
    @Option(help: "Connect to the bus at this D-Bus address.")
    var address: String?

    @Flag(help: "Connect to the user's session bus (the default).")
    var user = false

    @Flag(help: "Connect to the system bus.")
    var system = false

    func validate() throws {
        if [address != nil, user, system].filter({ $0 }).count > 1 {
            throw ValidationError("--address, --user and --system exclude each other")
        }
    }

    func connect() async throws -> Connection {
        if let address { return try await Connection.connect(to: address) }
        if system { return try await Connection.system() }
        return try await Connection.session()
    }
}

/// Prints to standard output without Foundation's buffering surprises.
func output(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
