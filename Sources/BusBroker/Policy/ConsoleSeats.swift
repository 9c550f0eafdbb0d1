// Console Seats
//
// Whether a user sits at the machine, as dbus-daemon asks systemd-logind, to choose
// between `at_console="true"` and `at_console="false"` blocks.

#if canImport(Glibc)
import Glibc
#endif

/// dbus-daemon's console test on a systemd machine (dbus/dbus-userdb-util.c
/// `_dbus_is_console_user`): when logind runs (`/run/systemd/seats/` exists), a user is at
/// the console if logind lists at least one online seat for it, i.e. `sd_uid_get_seats(uid,
/// 0, NULL) > 0`, which reads `ONLINE_SEATS=` from `/run/systemd/users/UID`. Without
/// logind nobody is (the legacy console-owner file is not consulted). Ask only when the
/// engine `hasConsoleRules`: it reads a file.
public struct ConsoleSeats: Sendable {
    /// logind's runtime directory.
    public let runDirectory: String
    /// A logind user file is a few hundred bytes; more than this is not one.
    static let maxUserFileSize = 64 * 1024

    public init(runDirectory: String = "/run/systemd") {
        self.runDirectory = runDirectory
    }

    public func isAtConsole(uid: UInt32) -> Bool {
        guard access(runDirectory + "/seats/", F_OK) == 0 else { return false }
        guard let text = Self.read(runDirectory + "/users/\(uid)") else { return false }
        return Self.onlineSeatCount(inUserFile: text) > 0
    }

    /// The number of seats in the `ONLINE_SEATS=` line of a logind user file (a
    /// space-separated list; the line may be absent).
    static func onlineSeatCount(inUserFile text: String) -> Int {
        let key = "ONLINE_SEATS="
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return line.dropFirst(key.count).split(separator: " ").count
        }
        return 0
    }

    private static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: maxUserFileSize)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return String(decoding: bytes[0..<filled], as: UTF8.self)
    }
}
