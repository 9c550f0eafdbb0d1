// Listener
//
// A listening socket that turns incoming connections into peers.
import BusPlatform
import Glibc

/// One entry point of the bus (a `<listen>` address or an inherited socket). Each
/// readiness event accepts up to `BrokerLimits.acceptsPerEvent` connections and hands
/// them to the broker, which reads their credentials and starts authentication.
final class Listener: IOEventHandler {
    unowned let broker: Broker
    let socket: UnixSocket
    var registration: IORegistration?
    /// The socket file to unlink at shutdown; nil for abstract and inherited sockets.
    let path: String?

    init(broker: Broker, socket: consuming UnixSocket, path: String?) {
        self.broker = broker
        self.socket = socket
        self.path = path
    }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        for _ in 0..<BrokerLimits.acceptsPerEvent where broker.acceptsConnections {
            do {
                guard let connection = try socket.accept() else { break }
                broker.accept(connection)
            } catch {
                // EMFILE and friends: the pending connection stays queued; say so and retry next turn.
                broker.logger.warning("accept failed: \(error)")
                break
            }
        }
        broker.flushPending()
    }

    func close(in loop: EventLoop) {
        if let registration { try? loop.deregister(registration) }
        registration = nil
        if let path { _ = unlink(path) }
    }
}
