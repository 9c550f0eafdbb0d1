// Owner Queue
/// The owners of one name: the primary owner at the head, then the peers waiting for it,
/// each with the flags of its latest request. A doubly linked list threaded through a
/// dictionary, so finding, appending, moving to second place and removing a peer are all
/// O(1) however long the queue grows; only `peers` walks it.
struct OwnerQueue {
    struct Link {
        var flags: RequestNameFlags
        var previous: PeerID?
        var next: PeerID?
    }

    private var links: [PeerID: Link] = [:]
    private(set) var head: PeerID?
    private var tail: PeerID?

    init(owner: PeerID, flags: RequestNameFlags) {
        links[owner] = Link(flags: flags)
        head = owner
        tail = owner
    }

    var isEmpty: Bool { head == nil }

    /// The peer that would become primary owner if the head left.
    var second: PeerID? { head.flatMap { links[$0]?.next } }

    func contains(_ peer: PeerID) -> Bool { links[peer] != nil }

    func flags(of peer: PeerID) -> RequestNameFlags? { links[peer]?.flags }

    mutating func setFlags(_ flags: RequestNameFlags, of peer: PeerID) {
        links[peer]?.flags = flags
    }

    /// All owners, primary first: the order of `ListQueuedOwners`.
    var peers: [PeerID] {
        var result: [PeerID] = []
        var cursor = head
        while let peer = cursor {
            result.append(peer)
            cursor = links[peer]?.next
        }
        return result
    }

    /// Adds `peer`, not yet in the queue, at the end.
    mutating func append(_ peer: PeerID, flags: RequestNameFlags) {
        links[peer] = Link(flags: flags, previous: tail, next: nil)
        if let tail { links[tail]?.next = peer } else { head = peer }
        tail = peer
    }

    /// Puts `peer` (new or already queued) right after the head: the next in line.
    /// The queue must not be empty and `peer` must not be the head.
    mutating func moveBehindHead(_ peer: PeerID, flags: RequestNameFlags) {
        if contains(peer) { remove(peer) }
        guard let head, let headLink = links[head] else { preconditionFailure("moveBehindHead on an empty owner queue") }
        links[peer] = Link(flags: flags, previous: head, next: headLink.next)
        if let after = headLink.next { links[after]?.previous = peer } else { tail = peer }
        links[head]?.next = peer
    }

    /// Takes `peer` out of the queue; nothing happens if it is not in it.
    mutating func remove(_ peer: PeerID) {
        guard let link = links.removeValue(forKey: peer) else { return }
        if let previous = link.previous { links[previous]?.next = link.next } else { head = link.next }
        if let next = link.next { links[next]?.previous = link.previous } else { tail = link.previous }
    }
}
