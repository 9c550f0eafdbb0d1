// Name Owner Change
/// The arguments of a `NameOwnerChanged` signal: the name passed from `oldOwner` to
/// `newOwner`; nil stands for "no owner" (sent on the wire as the empty string).
public struct NameOwnerChange: Hashable, Sendable {
    public let name: String
    public let oldOwner: PeerID?
    public let newOwner: PeerID?

    public init(name: String, oldOwner: PeerID?, newOwner: PeerID?) {
        self.name = name
        self.oldOwner = oldOwner
        self.newOwner = newOwner
    }
}
