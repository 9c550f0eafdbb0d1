/// The authentication mechanisms this implementation speaks.
///
/// EXTERNAL trusts the credentials the kernel attaches to the socket; ANONYMOUS
/// authenticates nobody and is off unless the server is configured to allow it (dbus-daemon's
/// `<allow_anonymous/>`). DBUS_COOKIE_SHA1 is left out: it exists for transports without
/// credentials, and we only serve unix sockets.
public enum SASLMechanism: String, Sendable, Hashable, CaseIterable {
    case external = "EXTERNAL"
    case anonymous = "ANONYMOUS"
}
