// KDBus Parts: SENDs whose body travels partly in sealed memfds (docs/kdbus-transport.md §8).
import BusPlatform
import DBusWire

extension Broker {
    /// A SEND with memfd parts.
    func carryOutParts(_ send: KDBusRecord.Send, from peer: Peer, connection: KDBusConnection, at: String) {
        disconnect(peer, reason: "\(at): SEND with \(send.memfdCount) memfd parts; not accepted yet")
    }
}
