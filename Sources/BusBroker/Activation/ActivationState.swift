// Activation State
//
// Everything the broker keeps for starting services: the catalog, the environment,
// activations in progress and the processes it started.
import BusPlatform
import Glibc

/// The broker's activation bookkeeping, one value stored in `Broker`. All of it lives on
/// the loop's thread.
struct ActivationState {
    var catalog = ServiceCatalog()
    /// Activations waiting for their name to be taken, by name.
    var pending: [String: PendingActivation] = [:]
    /// Requests (StartServiceByName calls and held messages) across all pending
    /// activations: dbus-daemon's count against `max_pending_service_starts`.
    var pendingRequestCount = 0
    /// Children not yet reaped, by pid.
    var processes: [pid_t: ServiceProcess] = [:]
    /// `DBUS_STARTER_ADDRESS` for spawned services: the address the bus printed.
    var starterAddress: String?
    /// `--systemd-activation`: hand files with `SystemdService=` to systemd.
    var usesSystemd = false
}

/// One name being started, with everyone waiting for it.
final class PendingActivation {
    let name: String
    let service: ServiceFile
    /// The child started for it; nil while systemd starts it, before the spawn, and
    /// after a child that exited 0 (it may have daemonized).
    var process: pid_t?
    /// Handed to systemd (ActivationRequest) rather than spawned.
    var viaSystemd = false
    var timeout: TimerID?
    /// Callers of StartServiceByName waiting for the answer, in order.
    var starters: [StartRequest] = []
    /// Messages sent to the name while it starts, delivered in order once it is taken.
    var held: [HeldMessage] = []
    var heldBytes = 0

    init(name: String, service: ServiceFile) {
        self.name = name
        self.service = service
    }

    var requestCount: Int { starters.count + held.count }
}

/// A StartServiceByName call waiting for its answer.
struct StartRequest {
    let caller: PeerID
    let serial: UInt32
    let wantsReply: Bool
}

/// A message to a name that is being started (auto-start), already rewritten for delivery.
/// It owns `fds` (duplicates of the sender's): they are sent with it or closed.
struct HeldMessage {
    /// nil: the bus itself (a held ActivationRequest for systemd).
    let sender: PeerID?
    let bytes: [UInt8]
    var fds: [CInt]
    let serial: UInt32
    let wantsReply: Bool

    func closeDescriptors() {
        for fd in fds { _ = Glibc.close(fd) }
    }
}
