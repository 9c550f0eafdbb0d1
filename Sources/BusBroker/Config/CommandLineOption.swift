// Command Line Option
//
// The table of swiftbusd's options: each one's name, whether it takes a value, and what
// it sets.

/// One option of swiftbusd's command line.
struct CommandLineOption: Sendable {
    enum Value: Equatable, Sendable {
        case none
        /// `--opt=V` or `--opt V`.
        case required
        /// `--opt`, `--opt=V` or `--opt V`.
        case optional
    }

    let name: String
    let value: Value
    let apply: @Sendable (inout SwiftbusdOptions, String?) throws(CommandLineError) -> Void

    static func named(_ name: String) -> CommandLineOption? {
        table.first { $0.name == name || ($0.name == "--help" && (name == "-h" || name == "-?")) }
    }

    static let table: [CommandLineOption] = [
        CommandLineOption(name: "--help", value: .none) { options, _ in options.action = .help },
        CommandLineOption(name: "--version", value: .none) { options, _ in options.action = .version },
        CommandLineOption(name: "--introspect", value: .none) { options, _ in options.action = .introspect },
        CommandLineOption(name: "--session", value: .none) { options, _ throws(CommandLineError) in
            try options.chooseConfig(.session, option: "session")
        },
        CommandLineOption(name: "--system", value: .none) { options, _ throws(CommandLineError) in
            try options.chooseConfig(.system, option: "system")
        },
        CommandLineOption(name: "--config-file", value: .required) { options, file throws(CommandLineError) in
            try options.chooseConfig(.file(file ?? ""), option: "config-file")
        },
        CommandLineOption(name: "--address", value: .required) { options, address throws(CommandLineError) in
            if let already = options.address { throw .conflict(option: "address", already: "address \(already)") }
            options.address = address
        },
        CommandLineOption(name: "--print-address", value: .optional) { options, fd throws(CommandLineError) in
            options.printAddress = try SwiftbusdOptions.output(fd, replacing: options.printAddress, option: "print-address", what: "address")
        },
        CommandLineOption(name: "--print-pid", value: .optional) { options, fd throws(CommandLineError) in
            options.printPID = try SwiftbusdOptions.output(fd, replacing: options.printPID, option: "print-pid", what: "pid")
        },
        CommandLineOption(name: "--nofork", value: .none) { options, _ in options.fork = .never },
        CommandLineOption(name: "--fork", value: .none) { options, _ in options.fork = .always },
        CommandLineOption(name: "--nopidfile", value: .none) { options, _ in options.writePIDFile = false },
        CommandLineOption(name: "--systemd-activation", value: .none) { options, _ in options.systemdActivation = true },
        // swiftbusd's own (dbus-daemon has none): see `BusyPoll`.
        CommandLineOption(name: "--busy-poll", value: .required) { options, text throws(CommandLineError) in
            let limit = SwiftbusdOptions.maximumBusyPollMicroseconds
            guard let text, let microseconds = UInt64(text), microseconds <= limit else {
                throw .invalidNumber(option: "busy-poll", text: text ?? "", range: "0…\(limit) microseconds")
            }
            options.busyPollMicroseconds = microseconds
        },
        CommandLineOption(name: "--syslog", value: .none) { options, _ in options.syslog = .always },
        CommandLineOption(name: "--nosyslog", value: .none) { options, _ in
            options.syslog = .never
            options.syslogOnly = false
        },
        CommandLineOption(name: "--syslog-only", value: .none) { options, _ in
            options.syslog = .always
            options.syslogOnly = true
        },
    ]
}

extension SwiftbusdOptions {
    /// dbus-daemon refuses a second configuration source, whichever options name them.
    mutating func chooseConfig(_ source: ConfigSource, option: String) throws(CommandLineError) {
        if let already = configSource { throw .conflict(option: option, already: "configuration file \(already.displayName)") }
        configSource = source
    }

    /// `--print-address` alone means stdout; a descriptor may be given once.
    static func output(_ text: String?, replacing current: Output?, option: String, what: String) throws(CommandLineError) -> Output {
        guard let text else { return current ?? .standardOutput }
        if case .descriptor(let fd)? = current { throw .conflict(option: option, already: "printing \(what) to \(fd)") }
        guard let fd = Int32(text), fd >= 0 else { throw .invalidDescriptor(text) }
        return .descriptor(fd)
    }
}

extension SwiftbusdOptions.ConfigSource {
    /// The file this source reads, as dbus-daemon names it in messages.
    public var displayName: String {
        switch self {
        case .session: "/usr/share/dbus-1/session.conf"
        case .system: SwiftbusdOptions.systemConfigPath
        case .file(let path): path
        }
    }
}

extension SwiftbusdOptions {
    /// The system bus configuration dbus-daemon reads on Debian and most distributions.
    public static let systemConfigPath = "/usr/share/dbus-1/system.conf"
}
