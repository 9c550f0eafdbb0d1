// Peer ID
/// The broker's handle for one connected peer. The number is the `N` of the peer's unique
/// name `:1.N`, so a unique name and a peer convert into each other without a lookup, and
/// a number is never handed out twice (see `UniqueNameAllocator`).
public struct PeerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The `N` of `:1.N`.
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Parses a unique name of the form `:1.N`, with `N` in canonical decimal (no leading
    /// zeros), so that each peer has exactly one spelling; nil for anything else.
    public init?(uniqueName: String) {
        let prefix = PeerID.uniqueNamePrefix
        guard uniqueName.utf8.starts(with: prefix.utf8) else { return nil }
        let digits = uniqueName.utf8.dropFirst(prefix.utf8.count)
        guard let first = digits.first, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if first == 0x30 && digits.count > 1 { return nil }
        guard let value = UInt64(Substring(digits)) else { return nil }
        self.rawValue = value
    }

    /// The unique name the bus gave this peer: `:1.N`.
    public var uniqueName: String { PeerID.uniqueNamePrefix + String(rawValue) }

    public var description: String { uniqueName }

    public static func < (lhs: PeerID, rhs: PeerID) -> Bool { lhs.rawValue < rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// What `Dictionary` and `Set` call: `WordHash` instead of SipHash (see there why).
    public func _rawHashValue(seed: Int) -> Int { WordHash.hash(rawValue, seed: seed) }

    /// dbus-daemon and dbus-broker both name peers `:1.N`; clients only rely on the colon.
    static let uniqueNamePrefix = ":1."
}
