// Peer State
//
// Where a connection is in its life: authenticating, waiting for Hello, a full peer,
// or a monitor.
import DBusWire

/// The stage of one connection. Only `.active` peers send and receive ordinary messages;
/// a `.monitor` only receives copies; before `Hello` the only message allowed is `Hello`.
enum PeerState {
    /// The SASL conversation, with the state machine that runs it.
    case authenticating(SASLServer)
    /// Authenticated; the first message must be `Hello`.
    case awaitingHello
    /// Registered with a unique name.
    case active
    /// Became a monitor (`BecomeMonitor`): receives copies, may send nothing.
    case monitor
}
