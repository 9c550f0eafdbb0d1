// Output
//
// Writing to stderr, the print-address/print-pid destinations, and the log level.
#if canImport(Glibc)
import Glibc
#endif
import BusBroker
import Logging

/// Writes to descriptor 2 directly: Glibc's `stderr` is a global Swift 6 cannot prove safe.
func writeStandardError(_ text: String) {
    write(text, to: 2)
}

func printError(_ message: String) {
    writeStandardError("swiftbusd: \(message)\n")
}

func fail(_ message: String) -> Never {
    printError(message)
    exit(1)
}

/// Writes all of `text` to `descriptor` (no buffering, so a reader sees it at once).
func write(_ text: String, to descriptor: CInt) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}

/// Prints one line where `--print-address` / `--print-pid` asked.
func emit(_ line: String, to output: SwiftbusdOptions.Output) {
    switch output {
    case .standardOutput: write(line + "\n", to: 1)
    case .descriptor(let descriptor): write(line + "\n", to: descriptor)
    }
}

/// `SWIFTBUSD_LOG_LEVEL` (trace, debug, info, notice, warning, error, critical); info by default.
func logLevel() -> Logger.Level {
    guard let text = Broker.environment("SWIFTBUSD_LOG_LEVEL"), let level = Logger.Level(rawValue: text) else { return .info }
    return level
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
