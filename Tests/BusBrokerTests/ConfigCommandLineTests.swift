import Testing
@testable import BusBroker

@Suite struct ConfigCommandLineTests {
    func parse(_ arguments: String) throws(CommandLineError) -> SwiftbusdOptions {
        try SwiftbusdOptions.parse(arguments.split(separator: " ").map(String.init))
    }

    func error(_ arguments: String) -> CommandLineError? {
        do throws(CommandLineError) { _ = try parse(arguments) } catch { return error }
        return nil
    }

    @Test func noArgumentsRunsASessionBus() throws {
        let options = try parse("")
        #expect(options == SwiftbusdOptions())
        #expect(options.action == .run)
        #expect(options.configSource == nil && options.effectiveConfigSource == .session)
        #expect(options.fork == .fromConfig && options.writePIDFile && options.printAddress == nil)
    }

    @Test(arguments: [
        (["--session"], SwiftbusdOptions.ConfigSource.session),
        (["--system"], .system),
        (["--config-file=/a b"], .file("/a b")),
        (["--config-file", "/x.conf"], .file("/x.conf")),
        (["--config-file="], .file("")),
    ])
    func configSources(arguments: [String], expected: SwiftbusdOptions.ConfigSource) throws {
        #expect(try SwiftbusdOptions.parse(arguments).configSource == expected)
    }

    @Test(arguments: [
        ("--print-address", SwiftbusdOptions.Output.standardOutput),
        ("--print-address=5", .descriptor(5)),
        ("--print-address 7", .descriptor(7)),
        ("--print-address --print-address=3", .descriptor(3)),
    ])
    func printAddress(arguments: String, expected: SwiftbusdOptions.Output) throws {
        #expect(try parse(arguments).printAddress == expected)
    }

    @Test func printPIDAndAddressTogether() throws {
        let options = try parse("--print-pid --print-address=4 --print-pid 9")
        #expect(options.printPID == .descriptor(9))
        #expect(options.printAddress == .descriptor(4))
    }

    @Test func aDetachedValueIsNeverAnotherOption() throws {
        let options = try parse("--print-address --nofork")
        #expect(options.printAddress == .standardOutput)
        #expect(options.fork == .never)
        #expect(error("--config-file --nofork") == .missingValue(option: "--config-file"))
        #expect(error("--address") == .missingValue(option: "--address"))
    }

    @Test func flags() throws {
        let options = try parse("--address=unix:path=/tmp/s --nofork --nopidfile --systemd-activation --syslog-only")
        #expect(options.address == "unix:path=/tmp/s")
        #expect(options.fork == .never && !options.writePIDFile && options.systemdActivation)
        #expect(options.syslog == .always && options.syslogOnly)
        #expect(try parse("--nofork --fork").fork == .always)
        #expect(try parse("--syslog-only --nosyslog").syslog == .never)
        #expect(try parse("--syslog-only --nosyslog").syslogOnly == false)
        #expect(try parse("--address unix:tmpdir=/tmp").address == "unix:tmpdir=/tmp")
    }

    @Test(arguments: [("--help", SwiftbusdOptions.Action.help), ("-h", .help), ("-?", .help), ("--version", .version), ("--introspect", .introspect)])
    func actionsEndTheParse(argument: String, action: SwiftbusdOptions.Action) throws {
        // As in dbus-daemon, whatever follows is not even looked at.
        #expect(try parse("\(argument) --bogus").action == action)
    }

    @Test(arguments: [
        ("--bogus", CommandLineError.unknownOption("--bogus")),
        ("session", .unknownOption("session")),
        ("-session", .unknownOption("-session")),
        ("--nofork=1", .unexpectedValue(option: "--nofork")),
        ("--session --system", .conflict(option: "system", already: "configuration file /usr/share/dbus-1/session.conf")),
        ("--config-file=/a --session", .conflict(option: "session", already: "configuration file /a")),
        ("--system --config-file=/b", .conflict(option: "config-file", already: "configuration file /usr/share/dbus-1/system.conf")),
        ("--address=a --address=b", .conflict(option: "address", already: "address a")),
        ("--print-address=1 --print-address=2", .conflict(option: "print-address", already: "printing address to 1")),
        ("--print-pid=1 --print-pid 2", .conflict(option: "print-pid", already: "printing pid to 1")),
        ("--print-address=x", .invalidDescriptor("x")),
        ("--print-pid=-1", .invalidDescriptor("-1")),
        ("--print-pid=99999999999", .invalidDescriptor("99999999999")),
        ("--print-address 3x", .invalidDescriptor("3x")),
        ("--bogus --version", .unknownOption("--bogus")),
        ("--busy-poll", .missingValue(option: "--busy-poll")),
        ("--busy-poll=fast", .invalidNumber(option: "busy-poll", text: "fast", range: "0…10000 microseconds")),
        ("--busy-poll=-5", .invalidNumber(option: "busy-poll", text: "-5", range: "0…10000 microseconds")),
        ("--busy-poll=10001", .invalidNumber(option: "busy-poll", text: "10001", range: "0…10000 microseconds")),
    ])
    func refusedCommandLines(arguments: String, expected: CommandLineError) {
        #expect(error(arguments) == expected)
    }

    @Test func busyPollTakesMicrosecondsAndZeroTurnsItOff() throws {
        #expect(try parse("").busyPollMicroseconds == nil, "nothing given: swiftbusd's default")
        #expect(try parse("--busy-poll=0").busyPollMicroseconds == 0)
        #expect(try parse("--busy-poll 120").busyPollMicroseconds == 120)
        #expect(CommandLineError.invalidNumber(option: "busy-poll", text: "x", range: "0…10000 microseconds").description
            == "--busy-poll=x: expected a whole number in 0…10000 microseconds")
    }

    @Test func messagesReadLikeDbusDaemons() {
        #expect(CommandLineError.conflict(option: "system", already: "configuration file /x").description
            == "--system specified but configuration file /x already requested")
        #expect(CommandLineError.invalidDescriptor("x").description == "Invalid file descriptor: \"x\"")
    }

    @Test func everyOptionInTheUsageLineIsInTheTable() {
        let usageOptions = SwiftbusdOptions.usage.split(separator: "[").filter { $0.hasPrefix("--") }.map { part in
            String(part.prefix { $0 != "=" && $0 != "]" })
        }
        #expect(usageOptions.count == CommandLineOption.table.count - 1)  // --help is not in the usage line
        for name in usageOptions { #expect(CommandLineOption.named(name) != nil, "\(name)") }
    }
}
