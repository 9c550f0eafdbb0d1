// Policy Warning
//
// Something in the configuration's policy that was dropped rather than enforced.

/// A rule or `<policy>` block the engine dropped, with dbus-daemon's wording, for the
/// broker to log at start-up. Dropping (not failing) is dbus-daemon's behaviour: a system
/// bus must come up even when a package names a user that is not installed.
public struct PolicyWarning: Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public var description: String { "\(file):\(line): \(message)" }
}
