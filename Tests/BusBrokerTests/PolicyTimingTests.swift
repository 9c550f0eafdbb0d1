// Policy Timing Tests
//
// Per-check cost on the machine's own system and session configurations. A measurement,
// so it runs only when asked (SWIFTBUS_POLICY_TIMING=1, best with `-c release`); it still
// checks every decision it times.

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BusBroker

private let timingRequested = getenv("SWIFTBUS_POLICY_TIMING") != nil

@Suite(.enabled(if: timingRequested && access("/usr/share/dbus-1/system.conf", R_OK) == 0, "set SWIFTBUS_POLICY_TIMING=1"))
struct PolicyTimingTests {
    /// Checks per measurement: enough to dwarf clock overhead.
    static let iterations = 100_000

    @Test func nanosecondsPerCheck() throws {
        let system = PolicyEngine(config: try ConfigLoader().load(file: "/usr/share/dbus-1/system.conf"))
        let session = PolicyEngine(config: try ConfigLoader().load(file: "/usr/share/dbus-1/session.conf"))
        let user = system.policy(forUser: 1000, groups: [1000])
        let open = session.policy(forUser: 1000, groups: [1000])
        let systemd = PolicyHeldNames([":1.1", "org.freedesktop.systemd1"])
        let call = TestMessage.call("org.freedesktop.systemd1.Manager", "GetUnit", to: "org.freedesktop.systemd1")
        let other = TestMessage.call("com.example.Iface", "Method", to: ":1.1")
        var lines: [String] = ["rules: system send \(user.sendRules.count), receive \(user.receiveRules.count), own \(user.ownRules.count)"]
        withExtendedLifetime([call, other]) {
            lines.append(measure("session send (fast path)") { open.checkSend(call.fields, requestedReply: false, to: systemd) == .allow })
            lines.append(measure("system send, allowed by a hole") { user.checkSend(call.fields, requestedReply: false, to: systemd) == .allow })
            lines.append(measure("system send, denied") { !user.checkSend(other.fields, requestedReply: false, to: systemd).isAllowed })
            lines.append(measure("system receive") { user.checkReceive(call.fields, requestedReply: false, from: systemd) == .allow })
            lines.append(measure("system canOwn") { !user.canOwn("org.freedesktop.systemd1") })
        }
        lines.append(measure("system policy(forUser:) per connection", iterations: Self.iterations / 1000) {
            system.policy(forUser: 1000, groups: [1000]).sendRules.count == user.sendRules.count
        })
        print(lines.joined(separator: "\n"))
    }

    private func measure(_ name: String, iterations: Int = PolicyTimingTests.iterations, _ check: () -> Bool) -> String {
        var correct = 0
        let start = now()
        for _ in 0..<iterations where check() { correct += 1 }
        let elapsed = now() - start
        #expect(correct == iterations, "\(name)")
        return "\(name): \(elapsed / UInt64(iterations)) ns"
    }

    private func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
