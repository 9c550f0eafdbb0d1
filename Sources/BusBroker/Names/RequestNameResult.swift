// Request Name Result
/// The reply of `RequestName`, with the specification's numbers as raw values.
public enum RequestNameResult: UInt32, Sendable {
    /// `DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER`: the caller now owns the name.
    case primaryOwner = 1
    /// `DBUS_REQUEST_NAME_REPLY_IN_QUEUE`: the caller waits in the name's queue.
    case inQueue = 2
    /// `DBUS_REQUEST_NAME_REPLY_EXISTS`: someone else owns it and the caller did not queue.
    case exists = 3
    /// `DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER`: the caller owned it already (its flags are updated).
    case alreadyOwner = 4
}
