// Activation Errors
//
// The errors a start of a service ends with, named and worded as dbus-daemon 1.14's.
import Glibc

extension DriverError {
    static func activationLimit(_ name: String, limit: Int) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.LimitsExceeded",
                    message: "The maximum number of pending activations has been reached, activation of \(name) failed")
    }

    static func childExited(_ name: String, status: Int32) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.Spawn.ChildExited", message: "Process \(name) exited with status \(status)")
    }

    static func childSignaled(_ name: String, signal: Int32) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.Spawn.ChildSignaled", message: "Process \(name) received signal \(signal)")
    }

    static func execFailed(_ name: String, errno: Int32) -> DriverError {
        let reason = strerror(errno).map { String(cString: $0) } ?? "errno \(errno)"
        return DriverError(name: "org.freedesktop.DBus.Error.Spawn.ExecFailed", message: "Failed to execute program \(name): \(reason)")
    }

    static func activationTimedOut(_ name: String, milliseconds: Int) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.TimedOut",
                    message: "Failed to activate service '\(name)': timed out (service_start_timeout=\(milliseconds)ms)")
    }

    static func exitedUnknown(_ name: String) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.Failed", message: "Process \(name) exited, reason unknown")
    }

    /// dbus-daemon ends this text with a newline.
    static func noUserForHelper() -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.Spawn.FileInvalid", message: "Cannot do system-bus activation with no user\n")
    }

    static func badExecLine(_ error: ExecLine.ParseError) -> DriverError {
        invalidArgs(error.description)
    }

    static func heldQueueFull(_ name: String, bytes: Int, limit: Int) -> DriverError {
        DriverError(name: "org.freedesktop.DBus.Error.LimitsExceeded",
                    message: "\(bytes) bytes are already waiting for \(name) to start; max_outgoing_bytes=\(limit)")
    }
}
