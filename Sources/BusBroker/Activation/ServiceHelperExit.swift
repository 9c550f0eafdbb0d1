// Service Helper Exit
//
// What the setuid launch helper's exit codes mean, as dbus-daemon 1.14 reports them.

/// The exit codes of `dbus-daemon-launch-helper` (bus/activation-exit-codes.h, not public
/// API but stable) and the error the bus answers each with. A system bus with a
/// `<servicehelper>` runs `helper NAME`; the helper reads the service file, switches to
/// its `User=` and execs it, so its own failures arrive only as these codes.
enum ServiceHelperExit {
    static let genericFailure: Int32 = 1
    static let noMemory: Int32 = 2
    static let configInvalid: Int32 = 3
    static let setupFailed: Int32 = 4
    static let nameInvalid: Int32 = 5
    static let serviceNotFound: Int32 = 6
    static let permissionsInvalid: Int32 = 7
    static let fileInvalid: Int32 = 8
    static let execFailed: Int32 = 9
    static let invalidArgs: Int32 = 10
    static let childSignaled: Int32 = 11

    static func error(forExitCode code: Int32) -> DriverError {
        let spawn = "org.freedesktop.DBus.Error.Spawn."
        switch code {
        case configInvalid: return DriverError(name: spawn + "ConfigInvalid", message: "Invalid configuration (missing or empty <user>?)")
        case noMemory: return DriverError(name: "org.freedesktop.DBus.Error.NoMemory", message: "Launcher could not run (out of memory)")
        case setupFailed: return DriverError(name: spawn + "FailedToSetup", message: "Failed to setup environment correctly")
        case nameInvalid: return DriverError(name: spawn + "ServiceNotValid", message: "Bus name is not valid or missing")
        case serviceNotFound: return DriverError(name: spawn + "ServiceNotFound", message: "Bus name not found in system service directory")
        case permissionsInvalid:
            return DriverError(name: spawn + "PermissionsInvalid", message: "The permission of the setuid helper is not correct")
        case fileInvalid:
            // dbus-daemon answers this one with PermissionsInvalid too; kept for compatibility.
            return DriverError(name: spawn + "PermissionsInvalid",
                               message: "The service file is incorrect or does not have all required attributes")
        case execFailed: return DriverError(name: spawn + "ExecFailed", message: "Cannot launch daemon, file not found or permissions invalid")
        case invalidArgs: return .invalidArgs("Invalid arguments to command line")
        case childSignaled: return DriverError(name: spawn + "ChildSignaled", message: "Launched child was signaled, it probably crashed")
        default: return DriverError(name: spawn + "ChildExited", message: "Launch helper exited with unknown return code \(code)")
        }
    }
}
