import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import BusBroker

@Suite struct ConfigLoaderTests {
    @Test func realSessionConfParses() throws {
        let config = try ConfigLoader().load(file: "/usr/share/dbus-1/session.conf")
        #expect(config.type == .session)
        #expect(config.listen == ["unix:tmpdir=/tmp"])
        #expect(config.authMechanisms == ["EXTERNAL"])
        #expect(config.keepUmask)
        #expect(config.serviceDirectories == [.standardSession])
        #expect(config.limits[.maxMessageSize] == 1_000_000_000)
        #expect(config.limits[.authTimeout] == 240_000)
        #expect(config.limits[.maxMessageUnixFDs] == LimitName.maxMessageUnixFDs.defaultValue)
        #expect(config.policies.first?.context == .defaultContext)
    }

    @Test func realSystemConfAndItsIncludeDirectoriesParse() throws {
        let config = try ConfigLoader().load(file: "/usr/share/dbus-1/system.conf")
        #expect(config.type == .system)
        #expect(config.user == "messagebus")
        #expect(config.fork && config.syslog)
        #expect(config.pidFile == "/run/dbus/pid")
        #expect(config.listen == ["unix:path=/run/dbus/system_bus_socket"])
        #expect(config.serviceHelper == "/usr/lib/dbus-1.0/dbus-daemon-launch-helper")
        #expect(config.configDirectories.contains("/usr/share/dbus-1/system.d"))
        // Every .conf in the include directories loaded, none skipped.
        #expect(config.files.count > 1)
        #expect(!config.notes.contains { $0.message.hasPrefix("skipped") })
        let first = try #require(config.policies.first)
        #expect(first.context == .defaultContext)
        #expect(first.rules.first == PolicyRule(allow: true, kind: .user(.any), file: "/usr/share/dbus-1/system.conf", line: 46))
        #expect(config.policies.contains { $0.context == .user(.named("root")) })
    }

    @Test func builtInSessionConfigMatchesTheInstalledOne() throws {
        let loader = ConfigLoader()
        let builtIn = try loader.load(text: BuiltinSessionConfig.text, name: BuiltinSessionConfig.name, baseDirectory: BuiltinSessionConfig.baseDirectory)
        let installed = try loader.load(file: "/usr/share/dbus-1/session.conf")
        #expect(builtIn.listen == installed.listen)
        #expect(builtIn.authMechanisms == installed.authMechanisms)
        #expect(builtIn.limits == installed.limits)
        #expect(builtIn.serviceDirectories == installed.serviceDirectories)
        #expect(builtIn.policies.map { $0.rules.map(\.kind) } == installed.policies.map { $0.rules.map(\.kind) })
    }

    @Test func includesResolveRelativeToTheIncludingFileAndMergeInPlace() throws {
        let config = try loadBody("""
            <listen>first</listen>
            <policy context="default"><allow own="a.a"/></policy>
            <include>sub/one.conf</include>
            <listen>last</listen>
            <policy context="default"><allow own="c.c"/></policy>
            """, files: [
                "/etc/test/sub/one.conf": "<busconfig><listen>middle</listen><user>u</user><include>two.conf</include><policy context=\"default\"><allow own=\"b.b\"/></policy></busconfig>",
                "/etc/test/sub/two.conf": "<busconfig><user>deeper</user><limit name=\"auth_timeout\">7</limit></busconfig>",
            ])
        #expect(config.listen == ["unix:tmpdir=/tmp", "first", "middle", "last"])
        #expect(config.user == "deeper")
        #expect(config.limits[.authTimeout] == 7)
        #expect(config.policies.flatMap(\.rules).map(\.kind) == [.own(.exactly("a.a")), .own(.exactly("b.b")), .own(.exactly("c.c"))])
        #expect(config.policies[1].file == "/etc/test/sub/one.conf")
        #expect(config.files == [mainPath, "/etc/test/sub/one.conf", "/etc/test/sub/two.conf"])
    }

    @Test func syslogIsNotCarriedOutOfAnIncludedFileAsInDbusDaemon() throws {
        let config = try loadBody("<include>s.conf</include>", files: ["/etc/test/s.conf": "<busconfig><syslog/><fork/></busconfig>"])
        #expect(!config.syslog)
        #expect(config.fork)
    }

    @Test func missingIncludes() throws {
        #expect(try loadBody("<include ignore_missing=\"yes\">none.conf</include>").files == [mainPath])
        let error = errorOfBody("\n<include>none.conf</include>")
        #expect(error?.reason == .fileNotFound("/etc/test/none.conf"))
        #expect(error?.line == 3)
        #expect(try loadBody("<include if_selinux_enabled=\"yes\" selinux_root_relative=\"yes\">contexts/dbus_contexts</include>").files == [mainPath])
    }

    @Test func includeCyclesAreDetected() {
        let direct = errorOfBody("<include>main.conf</include>")
        #expect(direct?.reason == .includeCycle("/etc/test/main.conf"))
        let indirect = errorOfBody("<include>a.conf</include>", files: [
            "/etc/test/a.conf": "<busconfig>\n<include>./b.conf</include></busconfig>",
            "/etc/test/b.conf": "<busconfig><include>/etc/test/./a.conf</include></busconfig>",
        ])
        #expect(indirect?.reason == .includeCycle("/etc/test/./a.conf"))
        #expect(indirect?.file == "/etc/test/./b.conf")
    }

    @Test func includingOneFileTwiceIsNotACycle() throws {
        let config = try loadBody("<include>x.conf</include><include>x.conf</include>", files: ["/etc/test/x.conf": "<busconfig><auth>EXTERNAL</auth></busconfig>"])
        #expect(config.authMechanisms == ["EXTERNAL", "EXTERNAL"])
    }

    @Test func errorsInIncludedFilesNameThatFile() {
        let error = errorOfBody("<include>bad.conf</include>", files: ["/etc/test/bad.conf": "<busconfig>\n\n<fork/><bogus/></busconfig>"])
        #expect(error?.description == "/etc/test/bad.conf:3:8: element <bogus> not allowed inside <busconfig>")
    }

    @Test func unreadableFilesAreErrors() {
        var files = MemoryFileSystem(files: [mainPath: "<busconfig><listen>x</listen><include>secret.conf</include></busconfig>", "/etc/test/secret.conf": ""])
        files.unreadable["/etc/test/secret.conf"] = 13
        #expect(throws: ConfigError(.unreadableFile("/etc/test/secret.conf", errno: 13), file: mainPath, at: XMLPosition(line: 1, column: 30))) {
            try ConfigLoader(fileSystem: files).load(file: mainPath)
        }
    }

    @Test func includeDirReadsConfFilesInNameOrderAndSkipsBrokenOnes() throws {
        let config = try loadBody("<includedir>d</includedir><includedir>/missing</includedir>", files: [
            "/etc/test/d/b.conf": "<busconfig><listen>b</listen></busconfig>",
            "/etc/test/d/a.conf": "<busconfig><listen>a</listen></busconfig>",
            "/etc/test/d/c.conf": "<busconfig><listen>c-partial</listen><bogus/></busconfig>",
            "/etc/test/d/README": "not xml",
            "/etc/test/d/z.conf.dpkg-old": "not xml",
        ])
        #expect(config.listen == ["unix:tmpdir=/tmp", "a", "b"])
        #expect(config.configDirectories == ["/etc/test/d"])
        #expect(config.notes.map(\.file) == ["/etc/test/d/c.conf"])
        #expect(config.notes.first?.message.contains("<bogus>") == true)
    }

    @Test func realFileSystemReadsListsAndRefusesHugeFiles() throws {
        let small = temporaryFile(Array("<busconfig><listen>unix:tmpdir=/tmp</listen></busconfig>".utf8))
        defer { unlink(small) }
        #expect(try ConfigLoader().load(file: small).listen == ["unix:tmpdir=/tmp"])
        #expect(LinuxConfigFileSystem().entries(of: "/usr/share/dbus-1")?.contains("session.conf") == true)
        #expect(LinuxConfigFileSystem().entries(of: small + ".missing") == nil)
        #expect(LinuxConfigFileSystem().read(small + ".missing") == .notFound)

        let huge = temporaryFile([UInt8](repeating: 0x20, count: ConfigLimits.maxFileSize + 1))
        defer { unlink(huge) }
        #expect(LinuxConfigFileSystem().read(huge) == .tooLarge)
        #expect(throws: ConfigError(.fileTooLarge(huge, limit: ConfigLimits.maxFileSize), file: huge, at: nil)) {
            try ConfigLoader().load(file: huge)
        }
    }
}
