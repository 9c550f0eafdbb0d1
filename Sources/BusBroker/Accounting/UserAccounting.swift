// User Accounting
//
// What each Unix user holds on the bus, so that one user cannot take it from the others.

/// Per-uid totals: the completed connections (those that said Hello) of each user, from
/// which the names a user holds are summed on demand. A connection is charged to its user
/// at `Hello` and released when it ends, as dbus-daemon's `completed_by_user` table is, so
/// `max_connections_per_user` counts the same connections dbus-daemon counts.
///
/// Names are not counted twice: the registry already knows each connection's names, and a
/// user's total is the sum over its connections (at most `max_connections_per_user` of
/// them), asked only on `RequestName`, never on the message path.
struct UserAccounting {
    private var connectionsByUser: [UInt32: Set<PeerID>] = [:]

    /// The completed connections `uid` has open.
    func connectionCount(of uid: UInt32) -> Int { connectionsByUser[uid]?.count ?? 0 }

    /// The completed connections of `uid`.
    func connections(of uid: UInt32) -> Set<PeerID> { connectionsByUser[uid] ?? [] }

    /// Charges a connection that completed Hello to its user.
    mutating func connectionCompleted(_ peer: PeerID, uid: UInt32) {
        connectionsByUser[uid, default: []].insert(peer)
    }

    /// Releases a completed connection's charge; its user's entry goes when it is the last.
    mutating func connectionEnded(_ peer: PeerID, uid: UInt32) {
        guard var set = connectionsByUser[uid] else { return }
        set.remove(peer)
        connectionsByUser[uid] = set.isEmpty ? nil : set
    }

    /// Users with at least one completed connection.
    var userCount: Int { connectionsByUser.count }
}
