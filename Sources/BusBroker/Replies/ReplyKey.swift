// Reply Key
/// Identifies one method call awaiting its reply: the peer that called and the serial it
/// gave the call. A reply names both (its destination and its reply serial).
public struct ReplyKey: Hashable, Sendable, CustomStringConvertible {
    public let caller: PeerID
    public let serial: UInt32

    public init(caller: PeerID, serial: UInt32) {
        self.caller = caller
        self.serial = serial
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(caller)
        hasher.combine(serial)
    }

    /// What `Dictionary` calls: `WordHash` instead of SipHash (see there why).
    public func _rawHashValue(seed: Int) -> Int { WordHash.hash(caller.rawValue, UInt64(serial), seed: seed) }

    public var description: String { "\(caller.uniqueName) serial \(serial)" }
}
