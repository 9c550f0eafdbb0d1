// Request Name Flags
/// The flags argument of `org.freedesktop.DBus.RequestName`. Bits the specification does
/// not define are ignored, as dbus-daemon ignores them.
public struct RequestNameFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `DBUS_NAME_FLAG_ALLOW_REPLACEMENT`: another peer asking with `replaceExisting` may take the name.
    public static let allowReplacement = RequestNameFlags(rawValue: 0x1)
    /// `DBUS_NAME_FLAG_REPLACE_EXISTING`: take the name from an owner that allows replacement.
    public static let replaceExisting = RequestNameFlags(rawValue: 0x2)
    /// `DBUS_NAME_FLAG_DO_NOT_QUEUE`: never wait in the queue; losing the name drops it.
    public static let doNotQueue = RequestNameFlags(rawValue: 0x4)
}
