// Receive Ring: the client's consumer of the RECV ring, shared by KDBusChannel and the library.
import BusPlatform
import DBusWire

/// What can be wrong with the RECV ring, which the broker writes (docs/kdbus-transport.md
/// §4.2): both are protocol violations that end the connection.
enum ReceiveRingFailure: Error, CustomStringConvertible {
    /// The published tail is behind the head or more than a ring ahead of it.
    case impossibleTail(head: UInt64, tail: UInt64)
    /// Entry `index` is not a record the broker may send.
    case badEntry(index: UInt64, KDBusRecordError)

    var description: String {
        switch self {
        case .impossibleTail(let head, let tail):
            "the broker's recvTail \(tail) is impossible for recvHead \(head) (ring of \(RecordRing.entries))"
        case .badEntry(let index, let error): "RECV ring entry \(index): \(error)"
        }
    }
}

/// §4.2's consume rule, written once: load the tail, check it, decode and hand over the
/// entries in order, store the head, fence, re-load the tail and go on while it moved;
/// ring the broker when it waits for RECV space.
enum ReceiveRing {
    /// Consumes published entries from `head` (the caller's private copy of `recvHead`),
    /// giving each to `take`; `take` returning false leaves that entry (and the rest) for
    /// the next call. Errors of the ring itself go through `failure`.
    static func consume<E: Error>(
        head: inout UInt64, pool: borrowing PoolView, arena: borrowing SendArena, ringBroker: () -> Void,
        failure: (ReceiveRingFailure) -> E, _ take: (KDBusRecord) throws(E) -> Bool
    ) throws(E) {
        var next = head
        var tail = pool.loadReceiveTail()
        while true {
            guard let count = RecordRing.pending(head: next, tail: tail) else {
                throw failure(.impossibleTail(head: next, tail: tail))
            }
            guard count > 0 else { return }
            var stopped = false
            while next != tail {
                let record = try decodeEntry(next, in: pool, failure: failure)
                guard try take(record) else { stopped = true; break }
                next += 1
            }
            head = next
            let seen = arena.finishReceivePass(head: next, brokerTail: { pool.loadReceiveTail() })
            if pool.loadBrokerWaitsForRecvSpace() { ringBroker() }
            if stopped { return }
            tail = seen
        }
    }

    /// Entry `index`, copied out of the pool first (the broker may rewrite the ring), then decoded.
    private static func decodeEntry<E: Error>(
        _ index: UInt64, in pool: borrowing PoolView, failure: (ReceiveRingFailure) -> E
    ) throws(E) -> KDBusRecord {
        do throws(KDBusRecordError) {
            return try KDBusRecord.decodeEntry(from: .brokerToClient) { pool.copyReceiveEntry(index, into: $0) }
        } catch {
            throw failure(.badEntry(index: index, error))
        }
    }
}
