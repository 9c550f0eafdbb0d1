// Name Event
/// One signal the driver must emit after a change in the name registry. Operations return
/// them in the order dbus-daemon sends them, and the driver sends them in that order,
/// before the method reply (dbus-daemon 1.14 bus/services.c, bus_service_remove_owner:
/// NameLost to the old owner, then NameOwnerChanged, then NameAcquired to the new owner).
public enum NameEvent: Hashable, Sendable {
    /// `NameOwnerChanged(name, old, new)`, broadcast; nil owners are sent as "".
    case ownerChanged(NameOwnerChange)
    /// `NameLost(name)`, unicast to `peer`.
    case lost(name: String, peer: PeerID)
    /// `NameAcquired(name)`, unicast to `peer`.
    case acquired(name: String, peer: PeerID)
}
