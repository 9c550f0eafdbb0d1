// Service File
//
// What one `.service` file declares: the bus name it provides and how to start it.

/// The `[D-BUS Service]` group of a `.service` file, as dbus-daemon reads it. `Name` and
/// `Exec` are required; the rest are optional. Values are unescaped; `exec` is still the
/// raw command line (`ExecLine` splits it).
public struct ServiceFile: Equatable, Sendable {
    /// `Name=`: the well-known name the service takes once started.
    public var name: String
    /// `Exec=`: the command line that starts it.
    public var exec: String
    /// `User=`: the user a system bus starts it as (through the service helper).
    public var user: String?
    /// `SystemdService=`: the unit systemd starts instead, with `--systemd-activation`.
    public var systemdService: String?
    /// `AssumedAppArmorLabel=`: kept for completeness; this broker does no AppArmor checks.
    public var assumedAppArmorLabel: String?

    public init(name: String, exec: String, user: String? = nil, systemdService: String? = nil,
                assumedAppArmorLabel: String? = nil) {
        self.name = name
        self.exec = exec
        self.user = user
        self.systemdService = systemdService
        self.assumedAppArmorLabel = assumedAppArmorLabel
    }

    /// The group dbus-daemon reads; any other group is parsed and ignored.
    public static let group = "D-BUS Service"
}
