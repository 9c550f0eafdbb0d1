/// Flags in the third byte of a message header. Unknown flag bits must be ignored.
public struct MessageFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The caller does not want a reply; the callee should not send one.
    public static let noReplyExpected = MessageFlags(rawValue: 0x1)
    /// The bus must not launch an owner for the destination name.
    public static let noAutoStart = MessageFlags(rawValue: 0x2)
    /// The caller is prepared to wait for interactive authorization (e.g. polkit).
    public static let allowInteractiveAuthorization = MessageFlags(rawValue: 0x4)
}
