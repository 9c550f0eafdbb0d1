// Release Name Result
/// The reply of `ReleaseName`, with the specification's numbers as raw values.
public enum ReleaseNameResult: UInt32, Sendable {
    /// `DBUS_RELEASE_NAME_REPLY_RELEASED`: the caller owned or queued for the name and no longer does.
    case released = 1
    /// `DBUS_RELEASE_NAME_REPLY_NON_EXISTENT`: nobody owns the name.
    case nonExistent = 2
    /// `DBUS_RELEASE_NAME_REPLY_NOT_OWNER`: the name has owners, but the caller is not among them.
    case notOwner = 3
}
