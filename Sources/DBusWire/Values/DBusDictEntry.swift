/// Dict Entry
///
/// One key/value pair of a D-Bus dictionary (`a{kv}`).
public struct DBusDictEntry: Sendable, Hashable {
    /// The key; a basic value.
    public var key: DBusValue
    public var value: DBusValue

    public init(key: DBusValue, value: DBusValue) {
        self.key = key
        self.value = value
    }
}
