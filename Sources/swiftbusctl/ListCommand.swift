/// List Command: the names on the bus, with who owns them.
import ArgumentParser
import Foundation
import SwiftBus

/// `swiftbusctl list`: every unique and well-known name with the owner's PID, process,
/// user and unique name, like `busctl list`.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the names on the bus.")

    @OptionGroup var bus: BusOptions

    @Flag(help: "Only unique names.") var unique = false
    @Flag(help: "Only well-known names.") var acquired = false
    @Flag(help: "Also list activatable names that nobody owns.") var activatable = false

    func run() async throws {
        let connection = try await bus.connect()
        var names = Set(try await connection.bus.listNames())
        var activatableOnly: Set<String> = []
        if activatable {
            activatableOnly = Set(try await connection.bus.listActivatableNames()).subtracting(names)
            names.formUnion(activatableOnly)
        }
        var rows: [[String]] = [["NAME", "PID", "PROCESS", "USER", "CONNECTION"]]
        for name in names.sorted(by: busctlOrder) {
            let isUnique = name.hasPrefix(":")
            if unique && !isUnique || acquired && isUnique { continue }
            if activatableOnly.contains(name) {
                rows.append([name, "-", "-", "-", "(activatable)"])
                continue
            }
            let owner = try? await connection.bus.getNameOwner(name)
            let pid = try? await connection.bus.getConnectionUnixProcessID(name)
            let uid = try? await connection.bus.getConnectionUnixUser(name)
            rows.append([
                name, pid.map { "\($0)" } ?? "-", pid.flatMap(ProcessInfoReader.comm) ?? "-", uid.map(ProcessInfoReader.userName) ?? "-",
                isUnique ? name : (owner.flatMap { $0 == name ? nil : $0 } ?? "-"),
            ])
        }
        output(Table.render(rows, rightAligned: [1]))
    }
}

/// busctl lists well-known names after unique ones, unique names by their numbers.
func busctlOrder(_ a: String, _ b: String) -> Bool {
    let aUnique = a.hasPrefix(":"), bUnique = b.hasPrefix(":")
    if aUnique != bUnique { return aUnique }
    if aUnique {
        let aParts = a.dropFirst().split(separator: ".").map { Int($0) ?? 0 }
        let bParts = b.dropFirst().split(separator: ".").map { Int($0) ?? 0 }
        return aParts.lexicographicallyPrecedes(bParts)
    }
    return a < b
}

/// Facts about a local process read from /proc (the bus only tells us the PID).
enum ProcessInfoReader {
    static func comm(_ pid: UInt32) -> String? {
        read("/proc/\(pid)/comm")?.trimmingCharacters(in: .newlines)
    }

    static func commandLine(_ pid: UInt32) -> String? {
        read("/proc/\(pid)/cmdline").map { $0.split(separator: "\0").joined(separator: " ") }
    }

    static func executable(_ pid: UInt32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    /// The fields of /proc/PID/status, each split into its words (`Uid` → real, effective, saved, fs).
    static func status(_ pid: UInt32) -> [String: [String]] {
        guard let text = read("/proc/\(pid)/status") else { return [:] }
        var fields: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).map(String.init)
        }
        return fields
    }

    /// The unified (cgroup v2) hierarchy path of the process.
    static func controlGroup(_ pid: UInt32) -> String? {
        read("/proc/\(pid)/cgroup")?.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    static func userName(_ uid: UInt32) -> String {
        guard let entry = getpwuid(uid_t(uid)), let name = entry.pointee.pw_name else { return "\(uid)" }
        return String(cString: name)
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A text table with columns padded to their widest cell, as busctl prints them.
enum Table {
    static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let columns = rows.first?.count else { return "" }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                if column == columns - 1 { return cell }
                return rightAligned.contains(column)
                    ? cell.leftPadded(to: widths[column], with: " ") : cell.rightPadded(to: widths[column])
            }.joined(separator: " ")
        }.joined(separator: "\n")
    }
}
