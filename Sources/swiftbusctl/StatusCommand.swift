/// Status Command: who is behind a bus name.
import ArgumentParser
import SwiftBus

/// `swiftbusctl status NAME`: the owner's credentials as the bus reports them, completed
/// from /proc for a local process as busctl does, in busctl's `Key=value` form and order.
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
            let status = ProcessInfoReader.status(pid)
            if let parent = status["PPid"]?.first { lines.append("PPID=\(parent)") }
            lines += Self.idLines(["UID", "EUID", "SUID", "FSUID"], status["Uid"])
            lines += Self.idLines(["GID", "EGID", "SGID", "FSGID"], status["Gid"])
            let groups = credentials.groupIDs.map { $0.map(String.init) } ?? status["Groups"] ?? []
            lines.append("SupplementaryGIDs=" + groups.joined(separator: " "))
            lines.append("Comm=\(ProcessInfoReader.comm(pid) ?? "n/a")")
            lines.append("Exe=\(ProcessInfoReader.executable(pid) ?? "n/a")")
            lines.append("CommandLine=\(ProcessInfoReader.commandLine(pid) ?? "n/a")")
            lines.append("CGroup=\(ProcessInfoReader.controlGroup(pid) ?? "n/a")")
        } else if let uid = credentials.userID {
            lines.append("UID=\(uid)")
        }
        if let label = credentials.securityLabel {
            lines.append("Label=\(String(decoding: label.prefix { $0 != 0 }, as: UTF8.self))")
        }
        lines.append("UniqueName=\(owner)")
        if owner != name { lines.append("WellKnownNames=\(name)") }
        output(lines.joined(separator: "\n"))
    }

    /// `UID=0`, `EUID=0`, … from a /proc status line's four ids (real, effective, saved, fs).
    static func idLines(_ keys: [String], _ values: [String]?) -> [String] {
        guard let values, values.count >= keys.count else { return [] }
        return zip(keys, values).map { "\($0)=\($1)" }
    }
}
