// Command Line Options
//
// swiftbusd's command line: dbus-daemon's options, spelled and combined as dbus-daemon
// spells and combines them, so any harness that starts a dbus-daemon can start swiftbusd.

/// What the command line asked for. Parse with `SwiftbusdOptions.parse(_:)`.
///
/// The parser is hand-written rather than swift-argument-parser because dbus-daemon's
/// `--print-address[=FD]` takes an optional value that may also be the *next* argument
/// (`--print-address 3`), and `--config-file F` / `--config-file=F` must both work; the
/// argument parser cannot express an optional value that may come detached. It stays a
/// declaration: `CommandLineOption.table` lists every option once.
public struct SwiftbusdOptions: Equatable, Sendable {
    /// Where the configuration comes from.
    public enum ConfigSource: Equatable, Sendable {
        /// `--session`, or nothing: the session bus (built-in configuration).
        case session
        /// `--system`: /usr/share/dbus-1/system.conf.
        case system
        /// `--config-file=F`.
        case file(String)
    }

    /// Where `--print-address` / `--print-pid` write.
    public enum Output: Equatable, Sendable {
        case standardOutput
        case descriptor(Int32)
    }

    /// A setting that the command line can force either way or leave to the config file.
    public enum Override: Equatable, Sendable {
        case fromConfig, always, never
    }

    /// What to do instead of running, for the options that end the parse.
    public enum Action: Equatable, Sendable {
        case run, help, version, introspect
    }

    public var action: Action = .run
    /// nil when no option chose: run a session bus.
    public var configSource: ConfigSource?
    /// `--address`: listen here instead of the config's `<listen>` addresses.
    public var address: String?
    public var printAddress: Output?
    public var printPID: Output?
    public var fork: Override = .fromConfig
    /// `--syslog` is `.always`, `--nosyslog` `.never`; `--syslog-only` also sets `syslogOnly`.
    public var syslog: Override = .fromConfig
    public var syslogOnly = false
    /// false after `--nopidfile`.
    public var writePIDFile = true
    public var systemdActivation = false
    /// `--busy-poll=MICROSECONDS`: the longest poll before the loop sleeps (`BusyPoll`);
    /// nil leaves it to `defaultBusyPollMicroseconds`, 0 turns polling off.
    public var busyPollMicroseconds: UInt64?

    /// Long enough to span one peer's wake-up and reply on the machines measured
    /// (BENCHMARKS.md: 30 µs already caught most), short enough that a burst's tail costs
    /// well under a millisecond of CPU.
    public static let defaultBusyPollMicroseconds: UInt64 = 50
    /// A poll longer than this is a misconfiguration: a sleeping broker wakes in far less.
    public static let maximumBusyPollMicroseconds: UInt64 = 10_000

    public init() {}

    /// The configuration to load, with the session bus as the default.
    public var effectiveConfigSource: ConfigSource { configSource ?? .session }

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(CommandLineError) -> SwiftbusdOptions {
        var options = SwiftbusdOptions()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            let (name, attached) = split(argument)
            guard let option = CommandLineOption.named(name) else { throw .unknownOption(argument) }
            var value = attached
            switch option.value {
            case .none:
                if attached != nil { throw .unexpectedValue(option: option.name) }
            case .required, .optional:
                // A detached value is the next argument unless that is itself an option,
                // which is how dbus-daemon reads `--print-address --nofork`.
                if value == nil, index < arguments.count, CommandLineOption.named(split(arguments[index]).name) == nil {
                    value = arguments[index]
                    index += 1
                }
                if value == nil && option.value == .required { throw .missingValue(option: option.name) }
            }
            try option.apply(&options, value)
            if options.action != .run { return options }
        }
        return options
    }

    private static func split(_ argument: String) -> (name: String, value: String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    /// dbus-daemon's usage line, which it prints for `--help` and for any unknown option.
    public static let usage = "swiftbusd [--version] [--session] [--system] [--config-file=FILE] "
        + "[--print-address[=DESCRIPTOR]] [--print-pid[=DESCRIPTOR]] [--introspect] [--address=ADDRESS] "
        + "[--nopidfile] [--nosyslog] [--syslog] [--syslog-only] [--nofork] [--fork] [--systemd-activation] [--busy-poll=MICROSECONDS]"
}
