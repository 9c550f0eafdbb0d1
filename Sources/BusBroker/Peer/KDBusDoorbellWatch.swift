// KDBus Doorbell Watch: the event-loop handler of a kdbus client's to-broker doorbell.
import BusPlatform

/// The second registration of an upgraded peer, from ARENA on: the read end of its
/// to-broker doorbell. A ring means "look at the command ring, and at RECV-ring space";
/// hang-up or error means the client is gone (docs/kdbus-transport.md §4).
final class KDBusDoorbellWatch: IOEventHandler {
    /// Invariant, as `Peer.broker`: the broker owns every peer and outlives it; the watch is
    /// deregistered when the peer is disconnected, so it never outlives its peer's events.
    unowned(unsafe) let peer: Peer

    init(peer: Peer) { self.peer = peer }

    func handleEvents(_ events: IOEvents, in loop: EventLoop) {
        peer.broker.doorbellRang(peer, events: events)
    }
}
