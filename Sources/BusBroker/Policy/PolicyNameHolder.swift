// Policy Name Holder
//
// How a check asks which names the other end of a message holds, without the policy
// knowing how the broker stores them.

/// The names one peer holds, as `send_destination`, `send_destination_prefix` and
/// `receive_sender` ask about them. dbus-daemon matches these rules against every name the
/// peer *owns or waits in the queue for* (bus/services.c `bus_service_owner_in_queue`,
/// bus/connection.c `bus_connection_is_queued_owner_by_prefix`), its unique name included:
/// if a peer owns A and B and sending to A is denied, sending to B is denied too.
///
/// The broker conforms its peer/registry view to this; both queries are made per message,
/// so they should be hash lookups, not copies. The checks hold the conformer as an
/// existential (so the rule scan is one concrete loop, not a generic one per caller):
/// keep it within three words, e.g. a registry reference and a `PeerID`, so that it
/// fits the existential's inline buffer and is never boxed on the heap.
public protocol PolicyNameHolder {
    /// Whether the peer is the primary owner of `name`, is queued for it, or has it as its
    /// unique name.
    func holdsOrQueues(_ name: String) -> Bool
    /// Whether the peer owns or is queued for `prefix` itself or any name below it
    /// (`a.b` covers `a.b.c`, not `a.bc`). `isName(_:underPrefix:)` does the comparison.
    func holdsOrQueues(namesUnder prefix: String) -> Bool
}

extension PolicyNameHolder {
    /// dbus-daemon's word-prefix test, for conformers: `name` is `prefix` or starts with
    /// `prefix` followed by a dot.
    public static func isName(_ name: String, underPrefix prefix: String) -> Bool {
        PolicyWords.isName(name, underPrefix: prefix)
    }
}

/// A fixed list of names, for a peer whose names are known up front (tests, tools, a
/// one-off check outside the message path).
public struct PolicyHeldNames: PolicyNameHolder, Sendable {
    public var names: [String]

    public init(_ names: [String]) { self.names = names }

    public func holdsOrQueues(_ name: String) -> Bool { names.contains(name) }

    public func holdsOrQueues(namesUnder prefix: String) -> Bool {
        names.contains { PolicyWords.isName($0, underPrefix: prefix) }
    }
}
