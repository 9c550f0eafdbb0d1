// swiftbusd: the broker executable
//
// Parses dbus-daemon's command line, loads the configuration and serves the bus.
#if canImport(Glibc)
import Glibc
#endif
import BusBroker
import Logging

/// The version `--version` reports.
let version = "0.2.0"

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
    print(Broker.introspectionXML, terminator: "")
    exit(0)
case .run:
    break
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = logLevel()
    return handler
}

let config: BusConfig
do throws(ConfigError) {
    config = try loadConfig(options)
} catch {
    fail(error.description)
}
exit(Daemon(options: options, config: config).run())
