// Activation Service File Tests: the .service parser, Exec= splitting and the standard
// service directories.
@testable import BusBroker
import Testing

@Suite("activation: service files")
struct ActivationServiceFileTests {
    private func parse(_ text: String) throws(ServiceFileError) -> ServiceFile {
        try ServiceFileParser.parse(Array(text.utf8), file: "t.service")
    }

    private func failure(_ text: String) -> ServiceFileError? {
        do throws(ServiceFileError) {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("every key dbus-daemon reads, with comments, blank lines, spaces around '=', CRLF and other groups")
    func fullFile() throws {
        let file = try parse("""
            # a comment\r
            \r
            [D-BUS Service]\r
            Name = org.example.Full\r
            Exec=/usr/bin/full --x\r
            User=nobody\r
            SystemdService=full.service\r
            AssumedAppArmorLabel=unconfined\r
            Name[de]=ignored\r
            [Other Group]\r
            Name=not.this\r
            """)
        #expect(file == ServiceFile(name: "org.example.Full", exec: "/usr/bin/full --x", user: "nobody",
                                    systemdService: "full.service", assumedAppArmorLabel: "unconfined"))
    }

    @Test("escapes \\s \\t \\n \\r \\\\ are decoded")
    func escapes() throws {
        let file = try parse("[D-BUS Service]\nName=a.b\nExec=x\\sy\\t\\n\\r\\\\\n")
        #expect(file.exec == "x y\t\n\r\\")
    }

    @Test("errors name the line and the problem", arguments: [
        ("Name=a.b\n", 1, ServiceFileError.Reason.keyBeforeGroup),
        ("[D-BUS Service]\nName=a.b\nName=c.d\nExec=x\n", 3, .duplicateKey("Name")),
        ("[D-BUS Service]\nName=a.b\n[D-BUS Service]\n", 3, .duplicateGroup("D-BUS Service")),
        ("[D-BUS Service]\nExec=a\\qb\n", 2, .badEscape(UInt8(ascii: "q"))),
        ("[D-BUS Service]\nExec=ab\\\n", 2, .badEscape(nil)),
        ("[D-BUS Service]\n=x\n", 2, .emptyKey),
        ("[D-BUS Service]\nNa_me=x\n", 2, .badKeyCharacter(UInt8(ascii: "_"))),
        ("[D-BUS Service]\nName\n", 2, .missingEquals(key: "Name")),
        ("[D-BUS Service\n", 1, .badGroupHeader),
        ("[]\n", 1, .badGroupHeader),
        ("[a\\tb]\n", 1, .badGroupName("a\tb")),
    ])
    func lineErrors(text: String, line: Int, reason: ServiceFileError.Reason) {
        let error = failure(text)
        #expect(error?.line == line)
        #expect(error?.reason == reason)
        #expect(error?.description.hasPrefix("t.service:\(line): ") == true)
    }

    @Test("missing group or key, bad UTF-8 and an oversized file are whole-file errors")
    func fileErrors() {
        #expect(failure("[Other]\nName=a.b\n")?.reason == .missingGroup)
        #expect(failure("[D-BUS Service]\nName=a.b\n")?.reason == .missingKey("Exec"))
        #expect(failure("[D-BUS Service]\nExec=x\n")?.description == "t.service: no \"Name\" key in [D-BUS Service]")
        do {
            _ = try ServiceFileParser.parse([0x5B, 0xFF, 0x5D], file: "u")
            Issue.record("bad UTF-8 accepted")
        } catch {
            #expect(error.reason == .invalidUTF8)
        }
        let big = "[D-BUS Service]\n#" + String(repeating: "x", count: ServiceFileParser.maxFileSize)
        #expect(failure(big)?.reason == .tooLarge(size: big.utf8.count, limit: ServiceFileParser.maxFileSize))
    }

    @Test("Exec= splits as the shell would, without expanding anything")
    func execLine() throws {
        #expect(try ExecLine(parsing: "/bin/sh -c 'echo $HOME'").arguments == ["/bin/sh", "-c", "echo $HOME"])
        #expect(try ExecLine(parsing: "a \"b \\\"c\\\" \\d\"  e\\ f").arguments == ["a", "b \"c\" \\d", "e f"])
        #expect(try ExecLine(parsing: "prog # comment").arguments == ["prog"])
        #expect(try ExecLine(parsing: "a''b \"\"").arguments == ["ab", ""])
        #expect(throws: ExecLine.ParseError.empty) { try ExecLine(parsing: "  \t ") }
        #expect(throws: ExecLine.ParseError.unterminatedQuote("'")) { try ExecLine(parsing: "a 'b") }
        #expect(throws: ExecLine.ParseError.trailingBackslash) { try ExecLine(parsing: "a \\") }
    }

    @Test("<standard_session_servicedirs/>: runtime dir, XDG_DATA_HOME, XDG_DATA_DIRS, then /usr/share, no duplicates")
    func sessionDirectories() {
        let environment = ["XDG_RUNTIME_DIR": "/run/user/7", "XDG_DATA_HOME": "/h/data", "XDG_DATA_DIRS": "/opt/share/:/usr/share"]
        let paths = StandardServiceDirectories.expand([.path("/first"), .standardSession, .path("/first/")],
                                                      environment: { environment[$0] })
        #expect(paths.map(\.path) == ["/first", "/run/user/7/dbus-1/services", "/h/data/dbus-1/services",
                                     "/opt/share/dbus-1/services", "/usr/share/dbus-1/services"])
        #expect(paths.allSatisfy { !$0.requiresMatchingFileNames })
        let defaults = StandardServiceDirectories.expand([.standardSession], environment: { $0 == "HOME" ? "/home/u" : nil })
        #expect(defaults.map(\.path) == ["/home/u/.local/share/dbus-1/services", "/usr/local/share/dbus-1/services",
                                        "/usr/share/dbus-1/services"])
        let system = StandardServiceDirectories.expand([.standardSystem], environment: { _ in nil })
        #expect(system.first == ServiceDirectoryPath(path: "/usr/local/share/dbus-1/system-services", requiresMatchingFileNames: true))
    }
}
