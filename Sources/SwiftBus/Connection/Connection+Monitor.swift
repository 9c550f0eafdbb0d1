/// Connection Monitor: watching all traffic on the bus with BecomeMonitor.
import DBusWire

extension Connection {
    /// Turns this connection into a bus monitor (`org.freedesktop.DBus.Monitoring.BecomeMonitor`)
    /// and returns every message the bus copies to it: method calls, returns, errors and
    /// signals between other connections, in the order the bus sent them. `rules` narrow what
    /// is copied (a message is copied when any rule matches); none means everything.
    ///
    /// This is one-way. From the moment the reply arrives the connection only receives:
    /// - every later send or call throws `ConnectionError.monitoring` at once, and calls
    ///   still waiting fail with it (the bus would never route their replies to a monitor);
    /// - exported objects are no longer served, signal streams end;
    /// - replies are not matched against calls: they are monitored messages like any other.
    ///
    /// The stream finishes when the connection closes (by `close()` or by the bus); when the
    /// stream's consumer stops, the connection closes. Throws `DBusError` when the bus refuses
    /// (e.g. `AccessDenied` on a system bus for an unprivileged user).
    public func becomeMonitor(
        matching rules: [MatchRule] = [], timeout: Duration = Connection.defaultTimeout
    ) async throws -> AsyncThrowingStream<ReceivedMessage, any Error> {
        let body: [DBusValue] = [.array(element: .string, rules.map { .string($0.description) }), .uint32(0)]
        let message = Message.methodCall(
            path: BusDriver.path.rawValue, interface: Connection.monitoringInterface, member: "BecomeMonitor",
            destination: BusDriver.busName, body: body)
        return try await core.becomeMonitor(message, timeout: timeout)
    }

    /// The bus driver's interface that holds BecomeMonitor.
    public static let monitoringInterface = "org.freedesktop.DBus.Monitoring"

    /// Whether `becomeMonitor` succeeded on this connection (it then may not send).
    public var isMonitor: Bool { core.state.withLock { $0.monitor != nil } }
}
