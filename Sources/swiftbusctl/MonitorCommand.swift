/// Monitor Command: watch signals on the bus, readable or as JSON.
import ArgumentParser
import SwiftBus

/// `swiftbusctl monitor [--match RULE…] [--json]`: prints each signal that matches.
/// Built on the library's match-rule streams, it sees signals only; method calls and
/// replies need a monitor connection (`BecomeMonitor`), which the library does not offer yet.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monitor", abstract: "Print signals as they pass.")

    @OptionGroup var bus: BusOptions
    @Option(help: "A match rule; repeat for several (default: every signal).") var match: [String] = []
    @Flag(help: "One JSON object per message, as busctl --json=short prints.") var json = false
    @Option(help: "Exit after this many messages.") var count: Int?

    func run() async throws {
        var rules: [MatchRule] = []
        for text in match.isEmpty ? ["type='signal'"] : match {
            do { rules.append(try MatchRule(parsing: text)) } catch { throw BusctlError.invalidArgument("match rule \(text): \(error)") }
        }
        let connection = try await bus.connect()
        let printed = SharedCounter(limit: count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for rule in rules {
                let stream = try await connection.messages(matching: rule)
                group.addTask {
                    for await received in stream {
                        guard printed.take() else { return }
                        output(json ? MessageFormatter.json(received.message) : MessageFormatter.readable(received.message))
                        if printed.isDone { return }
                    }
                }
            }
            if !json { output("Monitoring bus message stream.") }
            while try await group.next() != nil {
                if printed.isDone { group.cancelAll(); return }
            }
        }
    }
}

/// Counts printed messages across the per-rule tasks, so `--count` holds for all together.
final class SharedCounter: Sendable {
    private let limit: Int?
    private let state = MutexBox(0)

    init(limit: Int?) { self.limit = limit }

    /// Claims one message; false once the limit is reached.
    func take() -> Bool {
        state.withLock { count in
            if let limit, count >= limit { return false }
            count += 1
            return true
        }
    }

    var isDone: Bool { state.withLock { count in limit.map { count >= $0 } ?? false } }
}
