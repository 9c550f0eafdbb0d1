// KDBus Metadata Set: which metadata items a receiver asked the broker to attach.

/// The metadata items a receiver wants on every message (kdbus's `attach_flags_recv`),
/// named on the negotiation line as a comma list (`metadata=creds,pids,comm`). Bit `n`
/// stands for item type `KDBusItemType.metadataBase + n + 1`.
public struct KDBusMetadataSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(_ item: KDBusItemType) {
        precondition(item.isMetadata, "KDBusMetadataSet: \(item) is not a metadata item")
        rawValue = 1 << UInt64(item.rawValue - KDBusItemType.metadataBase - 1)
    }

    public static let credentials = KDBusMetadataSet(.credentials)
    public static let pids = KDBusMetadataSet(.pids)
    public static let pidfd = KDBusMetadataSet(.pidfd)
    public static let comm = KDBusMetadataSet(.comm)
    public static let exe = KDBusMetadataSet(.exe)
    public static let cmdline = KDBusMetadataSet(.cmdline)
    public static let cgroup = KDBusMetadataSet(.cgroup)
    public static let capabilities = KDBusMetadataSet(.capabilities)
    public static let securityLabel = KDBusMetadataSet(.securityLabel)
    public static let audit = KDBusMetadataSet(.audit)
    public static let ownedNames = KDBusMetadataSet(.ownedNames)
    public static let timestamp = KDBusMetadataSet(.timestamp)
    public static let groups = KDBusMetadataSet(.groups)

    /// Every item defined in protocol version 1.
    public static let all: KDBusMetadataSet = KDBusItemType.allCases.filter(\.isMetadata)
        .reduce(into: []) { set, item in set.insert(KDBusMetadataSet(item)) }

    /// The items as the negotiation line spells them, in item-type order; "none" when empty.
    public var negotiationValue: String {
        let names = KDBusItemType.allCases.filter { $0.isMetadata && contains(KDBusMetadataSet($0)) }.map(\.name)
        return names.isEmpty ? "none" : names.joined(separator: ",")
    }

    /// Parses a negotiation value; nil names the first unknown item.
    public init(negotiationValue: String) throws(KDBusNegotiationError) {
        self = []
        guard negotiationValue != "none" else { return }
        for name in negotiationValue.split(separator: ",", omittingEmptySubsequences: false) {
            guard let item = KDBusItemType.allCases.first(where: { $0.isMetadata && $0.name == name }) else {
                throw KDBusNegotiationError(.unknownMetadataItem(String(name)), parameter: "metadata")
            }
            insert(KDBusMetadataSet(item))
        }
    }
}
