// KDBus Doorbell Handler: routes the to-client doorbell's events to its connection.
import BusPlatform

/// The loop's handler for a kdbus connection's to-client doorbell (docs/kdbus-transport.md
/// §4): a separate object because a handler's events do not say which descriptor fired,
/// and the connection already handles its socket. Weak, so the loop's registration does
/// not keep a finished connection alive.
final class KDBusDoorbellHandler: IOEventHandler {
    private weak var connection: ConnectionIO?

    init(connection: ConnectionIO) { self.connection = connection }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        connection?.doorbellRang(events)
    }
}
