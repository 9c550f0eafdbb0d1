// swiftbusd: the broker executable
//
// Parses dbus-daemon's command line and loads the configuration. The broker itself is not
// built yet, so after a successful load this says what it would serve and exits 0 rather
// than pretending to serve a bus.
#if canImport(Glibc)
import Glibc
#endif
import BusBroker

/// The version `--version` reports.
let version = "0.1.0"

/// Writes to descriptor 2 directly: Glibc's `stderr` is a global Swift 6 cannot prove safe.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

func printError(_ message: String) {
    writeStandardError("swiftbusd: \(message)\n")
}

func fail(_ message: String) -> Never {
    printError(message)
    exit(1)
}

func loadConfig(_ options: SwiftbusdOptions) throws(ConfigError) -> BusConfig {
    let loader = ConfigLoader()
    switch options.effectiveConfigSource {
    case .session:
        return try loader.load(text: BuiltinSessionConfig.text, name: BuiltinSessionConfig.name,
                               baseDirectory: BuiltinSessionConfig.baseDirectory)
    case .system: return try loader.load(file: SwiftbusdOptions.systemConfigPath)
    case .file(let path): return try loader.load(file: path)
    }
}

func describe(_ config: BusConfig, _ options: SwiftbusdOptions) {
    let addresses = options.address.map { [$0] } ?? config.listen
    print("swiftbusd: configuration loaded from \(config.files.count) file(s): \(config.files.joined(separator: ", "))")
    print("  bus type: \(config.type?.name ?? "(none)")")
    for address in addresses { print("  listen: \(address)") }
    print("  auth: \(config.authMechanisms.isEmpty ? "(any)" : config.authMechanisms.joined(separator: " "))")
    let ruleCount = config.policies.reduce(0) { $0 + $1.rules.count }
    print("  policy: \(config.policies.count) <policy> block(s), \(ruleCount) rule(s)")
    print("  limits set: \(config.limits.explicitlySet.count) of \(LimitName.allCases.count)")
    print("swiftbusd: broker not built yet; would serve the addresses above. Exiting.")
}

let options: SwiftbusdOptions
do throws(CommandLineError) {
    options = try SwiftbusdOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    printError(error.description)
    writeStandardError(SwiftbusdOptions.usage + "\n")
    exit(1)
}

switch options.action {
case .help:
    print(SwiftbusdOptions.usage)
    exit(0)
case .version:
    print("SwiftBus Message Bus Daemon \(version)")
    exit(0)
case .introspect:
    fail("--introspect: the bus driver is not built yet")
case .run:
    break
}

do throws(ConfigError) {
    let config = try loadConfig(options)
    for note in config.notes { printError("note: \(note)") }
    describe(config, options)
} catch {
    fail(error.description)
}
