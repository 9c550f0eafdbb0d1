// Doorbell: the one-byte pipe wake-ups of the kdbus transport's rings.

/// How many bytes one `drain` reads: any number of rings mean the same ("look at the
/// rings"), so one read of this many empties a doorbell rung by a sane peer.
public enum DoorbellLimits {
    public static let drainBytes = 256
}

/// The end of a doorbell pipe that rings (the write end). A ring is one byte; a full pipe
/// (EAGAIN) means a wake-up is already pending, so it is ignored. The descriptor must be
/// non-blocking: the broker's ends are (it made them), a client sets its own.
public struct DoorbellRinger: ~Copyable, Sendable {
    public let descriptor: FileDescriptor

    /// Takes ownership of a pipe's write end (a client: the one POOL delivered).
    public init(adopting descriptor: consuming FileDescriptor) { self.descriptor = descriptor }

    /// Writes one byte. Returns false only when the reader is gone (EPIPE) or the write
    /// failed otherwise; EAGAIN is a pending wake-up and counts as rung.
    @discardableResult
    public func ring() -> Bool {
        var byte: UInt8 = 1
        do {
            _ = try withUnsafeBytes(of: &byte) { bytes throws(Errno) in try descriptor.write(bytes) }
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

/// The end of a doorbell pipe that listens (the read end); watch it for readability.
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

/// The client's ends of a connection's two doorbells, made by the broker and sent in
/// POOL's `SCM_RIGHTS` in this order: `wakesClient` (read end of the to-client pipe),
/// then `ringsBroker` (write end of the to-broker pipe). A distinct type, so the broker's
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

/// The two doorbells of one upgraded connection, made by the broker. The broker makes
/// both pipes (`pipe2(O_CLOEXEC | O_NONBLOCK)`) and keeps its ends non-blocking: each pipe
/// end is its own open file description, so the client cannot change the broker's flags.
/// That is also why these are pipes and not eventfds: an eventfd is one file description
/// that both sides would share, and a client could make it blocking under the broker.
@frozen
public struct BrokerDoorbells: ~Copyable, Sendable {
    /// The broker rings this after publishing RECVs (to-client pipe, write end).
    public var toClient: DoorbellRinger
    /// The broker watches this for the client's rings (to-broker pipe, read end).
    public var fromClient: DoorbellListener
    /// The ends to pass to the client, once.
    public var clientEnds: ClientDoorbellEnds

    public static func make() throws(Errno) -> BrokerDoorbells {
        let toClientPipe = try Pipe.make(nonBlocking: true)
        let toBrokerPipe = try Pipe.make(nonBlocking: true)
        return BrokerDoorbells(
            toClient: DoorbellRinger(adopting: toClientPipe.writeEnd),
            fromClient: DoorbellListener(adopting: toBrokerPipe.readEnd),
            clientEnds: ClientDoorbellEnds(wakesClient: toClientPipe.readEnd, ringsBroker: toBrokerPipe.writeEnd))
    }
}
