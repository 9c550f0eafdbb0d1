/// Status Command: who is behind a bus name.
import ArgumentParser
import SwiftBus

/// `swiftbusctl status NAME`: the owner's credentials as the bus reports them, plus what
/// /proc says about its process, in busctl's `Key=value` form.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show who owns a name.")

    @OptionGroup var bus: BusOptions
    @Argument(help: "A unique or well-known bus name.") var name: String = "org.freedesktop.DBus"

    func run() async throws {
        let connection = try await bus.connect()
        let owner = name.hasPrefix(":") ? name : try await connection.bus.getNameOwner(name)
        let credentials = try await connection.bus.credentials(of: name)
        var lines: [String] = []
        if let pid = credentials.processID {
            lines.append("PID=\(pid)")
        }
        if let uid = credentials.userID { lines.append("UID=\(uid)") }
        if let groups = credentials.groupIDs { lines.append("SupplementaryGIDs=" + groups.map { "\($0)" }.joined(separator: " ")) }
        if let pid = credentials.processID {
            lines.append("Comm=\(ProcessInfoReader.comm(pid) ?? "n/a")")
            lines.append("Exe=\(ProcessInfoReader.executable(pid) ?? "n/a")")
            lines.append("CommandLine=\(ProcessInfoReader.commandLine(pid) ?? "n/a")")
        }
        if let label = credentials.securityLabel {
            lines.append("Label=\(String(decoding: label.prefix { $0 != 0 }, as: UTF8.self))")
        }
        lines.append("UniqueName=\(owner)")
        if owner != name { lines.append("WellKnownNames=\(name)") }
        output(lines.joined(separator: "\n"))
    }
}
