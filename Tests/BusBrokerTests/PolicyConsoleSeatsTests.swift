// Policy Console Seats Tests
//
// The at_console test against logind's files, in a directory laid out like /run/systemd.

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BusBroker

@Suite struct PolicyConsoleSeatsTests {
    @Test func onlineSeatsLine() {
        #expect(ConsoleSeats.onlineSeatCount(inUserFile: "NAME=alice\nONLINE_SEATS=seat0 seat1\nACTIVE_SEATS=seat0\n") == 2)
        #expect(ConsoleSeats.onlineSeatCount(inUserFile: "NAME=alice\nONLINE_SEATS=\n") == 0)
        #expect(ConsoleSeats.onlineSeatCount(inUserFile: "NAME=alice\nSTATE=online\n") == 0)
    }

    @Test func readsLogindsFilesWhenSeatsExist() throws {
        var template = Array("/tmp/swiftbus-seats-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer {
            for file in ["/users/1000", "/users/1001"] { unlink(directory + file) }
            for child in ["/users", "/seats", ""] { rmdir(directory + child) }
        }
        let seats = ConsoleSeats(runDirectory: directory)
        mkdir(directory + "/users", 0o755)
        write(directory + "/users/1000", "ONLINE_SEATS=seat0\n")
        #expect(!seats.isAtConsole(uid: 1000))  // no /seats/: logind is not running
        mkdir(directory + "/seats", 0o755)
        #expect(seats.isAtConsole(uid: 1000))
        #expect(!seats.isAtConsole(uid: 1001))
        write(directory + "/users/1001", "STATE=lingering\n")
        #expect(!seats.isAtConsole(uid: 1001))
    }

    private func write(_ path: String, _ text: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }
}
