// Configured Swiftbusd: a private swiftbusd with limits of the test's choosing.
import Foundation

extension BusProcesses {
    /// Starts a swiftbusd that only the caller uses, with an open policy and `limits`
    /// (dbus-daemon's `<limit>` names), e.g. a small `max_incoming_bytes` so that a sender
    /// whose receiver stalls is throttled quickly. Stop it with `StartedBus.stop()`.
    static func startSwiftbusd(limits: [String: Int]) throws -> StartedBus {
        let binary = ProcessInfo.processInfo.environment["SWIFTBUSD"] ?? packageRoot + "/.build/debug/swiftbusd"
        let directory = NSTemporaryDirectory() + "swiftbusd-limits-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let limitLines = limits.sorted { $0.key < $1.key }.map { "  <limit name=\"\($0.key)\">\($0.value)</limit>" }
        let configuration = """
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(directory)/bus</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            \(limitLines.joined(separator: "\n"))
            </busconfig>
            """
        let file = directory + "/bus.conf"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        return try spawn(.swiftbusd, [binary, "--config-file=\(file)", "--nofork", "--nopidfile", "--print-address=1"])
    }
}
