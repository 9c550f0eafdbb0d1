// Driver Error
//
// The errors `org.freedesktop.DBus` answers with, named and worded as dbus-daemon 1.14.10
// words them (each text checked against the installed dbus-daemon).

/// An error reply of the bus driver: the D-Bus error name and its message.
struct DriverError: Error {
    let name: String
    let message: String

    static func invalidArgs(_ message: String) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.InvalidArgs", message: message)
    }

    /// dbus-daemon ends this text with a newline.
    static func wrongArguments(member: String, got: String, expected: String) -> DriverError {
        invalidArgs("Call to \(member) has wrong args (\(got), expected \(expected))\n")
    }

    static func unknownMethod(_ member: String) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.UnknownMethod", message: "org.freedesktop.DBus does not understand message \(member)")
    }

    static func unknownInterface(_ member: String) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.UnknownInterface", message: "org.freedesktop.DBus does not understand message \(member)")
    }

    /// `what` is dbus-daemon's phrase for the query: "owner", "UID", "PID", "credentials", …
    static func noOwner(_ name: String, getting what: String) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.NameHasNoOwner", message: "Could not get \(what) of name '\(name)': no such name")
    }

    static func serviceUnknown(_ name: String) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.ServiceUnknown", message: "The name \(name) was not provided by any .service files")
    }
}
