// Platform Limits: the kernel's and our own bounds on I/O, each named once.

/// The numbers BusPlatform's checks and buffers are sized by, named once so that a
/// check, an error message and a test all cite the same figure.
public enum PlatformLimits {
    /// Bytes of `sockaddr_un.sun_path` a filesystem path may use: 108 minus the
    /// terminating NUL, which dbus-daemon and sd-bus both insist on.
    public static let maxSocketPathLength = 107
    /// Bytes an abstract socket name may use: 108 minus the leading NUL that marks it abstract.
    public static let maxAbstractNameLength = 107
    /// Descriptors one `sendmsg` may carry (`SCM_MAX_FD` in the kernel); the 254th is EINVAL.
    public static let maxDescriptorsPerMessage = 253
    /// Pending connections a listener queues; the kernel caps it at `net.core.somaxconn`.
    public static let listenBacklog: CInt = 4096
    /// Readiness events taken from the kernel per `epoll_wait`; more wait for the next turn.
    public static let eventBatchSize = 256
    /// First guess for an `SO_PEERSEC` label's size; the kernel says when it needs more.
    public static let initialSecurityLabelCapacity = 256
    /// First guess for the number of supplementary groups `SO_PEERGROUPS` returns.
    public static let initialPeerGroupCapacity = 64
    /// Descriptors systemd's socket activation passes start here (`SD_LISTEN_FDS_START`).
    public static let listenFDsStart: CInt = 3
}
