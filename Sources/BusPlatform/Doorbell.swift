// Doorbell: the wake-ups of the kdbus transport's rings (a pipe to the client, an eventfd to the broker).
import CSwiftBusShims
import Glibc

/// How many bytes one `drain` reads: any number of rings mean the same ("look at the
/// rings"), so one read of this many empties a doorbell rung by a sane peer.
public enum DoorbellLimits {
    public static let drainBytes = 256
}

/// The end of a doorbell that rings: the broker's write end of the to-client pipe, or the
/// client's to-broker eventfd. A ring is the 8 bytes of a native-endian u64 1 — the
/// increment an eventfd takes, and as good as any bytes for a pipe. A full pipe or a
/// saturated counter (EAGAIN) means a wake-up is already pending, so it is ignored. The
/// descriptor must be non-blocking: the broker's ends are (it made them), a client sets its own.
public struct DoorbellRinger: ~Copyable, Sendable {
    public let descriptor: FileDescriptor

    /// Takes ownership of a doorbell's ringing end (a client: the one POOL delivered).
    public init(adopting descriptor: consuming FileDescriptor) { self.descriptor = descriptor }

    /// Writes one ring. Returns false only when the reader is gone (EPIPE) or the write
    /// failed otherwise; EAGAIN is a pending wake-up and counts as rung.
    @discardableResult
    public func ring() -> Bool {
        var one: UInt64 = 1
        do {
            _ = try withUnsafeBytes(of: &one) { bytes throws(Errno) in try descriptor.write(bytes) }
            return true
        } catch {
            return error == .wouldBlock
        }
    }
}

/// What one `drain` found.
public enum DoorbellDrain: Sendable, Equatable {
    /// `count` bytes of rings were read (1...`DoorbellLimits.drainBytes`).
    case rang(count: Int)
    /// Nothing pending (EAGAIN): a spurious wake-up.
    case quiet
    /// End of file: every write end is closed, the peer is gone.
    case closed
}

/// The client's end of the to-client doorbell pipe (the read end); watch it for readability.
public struct DoorbellListener: ~Copyable, Sendable {
    public let descriptor: FileDescriptor

    /// Takes ownership of a pipe's read end (a client: the one POOL delivered).
    public init(adopting descriptor: consuming FileDescriptor) { self.descriptor = descriptor }

    /// Reads up to `DoorbellLimits.drainBytes` bytes of rings, once.
    public func drain() throws(Errno) -> DoorbellDrain {
        do {
            let count = try withUnsafeTemporaryAllocation(byteCount: DoorbellLimits.drainBytes, alignment: 8) { buffer throws(Errno) in
                try descriptor.read(into: buffer)
            }
            return count == 0 ? .closed : .rang(count: count)
        } catch {
            if error == .wouldBlock { return .quiet }
            throw error
        }
    }
}

/// The broker's end of the to-broker doorbell: an eventfd it watches edge-triggered and never
/// reads. Every successful write to an eventfd is an edge, so a ring needs no draining: one
/// system call less per broker wake-up than a pipe (its `read`), and nothing fills up. The
/// client holds the same file description. Nothing it does to it reaches the broker: the
/// broker neither reads nor writes it, so a client that reads it, makes it blocking or drives
/// its counter to the maximum only loses its own wake-ups. (A pipe cannot do this: unread,
/// it fills, and a full pipe takes no more rings.)
public struct EdgeTriggeredDoorbell: ~Copyable, Sendable {
    public let descriptor: FileDescriptor

    /// Takes ownership of the broker's descriptor of the eventfd.
    public init(adopting descriptor: consuming FileDescriptor) { self.descriptor = descriptor }

    /// What to register it for: readable, edge-triggered.
    public static let interest: IOEvents = [.readable, .edgeTriggered]
}

/// The client's ends of a connection's two doorbells, made by the broker and sent in
/// POOL's `SCM_RIGHTS` in this order: `wakesClient` (read end of the to-client pipe),
/// then `ringsBroker` (the to-broker eventfd). A distinct type, so the broker's
/// own ends can never be sent by mistake.
@frozen
public struct ClientDoorbellEnds: ~Copyable, Sendable {
    public var wakesClient: FileDescriptor
    public var ringsBroker: FileDescriptor

    public init(wakesClient: consuming FileDescriptor, ringsBroker: consuming FileDescriptor) {
        self.wakesClient = wakesClient
        self.ringsBroker = ringsBroker
    }
}

/// The two doorbells of one upgraded connection, made by the broker. The to-client one is a
/// pipe (`pipe2(O_CLOEXEC | O_NONBLOCK)`) because the broker writes it: each pipe end is its
/// own open file description, so the client cannot make the broker's end blocking. The
/// to-broker one is an eventfd (`EFD_CLOEXEC | EFD_NONBLOCK`) because the broker only
/// watches it (`EdgeTriggeredDoorbell`), so sharing its file description costs nothing.
@frozen
public struct BrokerDoorbells: ~Copyable, Sendable {
    /// The broker rings this after publishing RECVs (to-client pipe, write end).
    public var toClient: DoorbellRinger
    /// The broker watches this for the client's rings (the to-broker eventfd).
    public var fromClient: EdgeTriggeredDoorbell
    /// The ends to pass to the client, once.
    public var clientEnds: ClientDoorbellEnds

    public static func make() throws(Errno) -> BrokerDoorbells {
        let toClientPipe = try Pipe.make(nonBlocking: true)
        let toBroker = FileDescriptor(owning: try systemCall { eventfd(0, CInt(EFD_CLOEXEC | EFD_NONBLOCK)) })
        let clientsCopy = try toBroker.duplicate()
        return BrokerDoorbells(
            toClient: DoorbellRinger(adopting: toClientPipe.writeEnd),
            fromClient: EdgeTriggeredDoorbell(adopting: toBroker),
            clientEnds: ClientDoorbellEnds(wakesClient: toClientPipe.readEnd, ringsBroker: clientsCopy))
    }
}
