// KDBus Item Type: the items a pool slice carries ahead of (and around) the message.

/// The type word of an item in a pool slice (docs/kdbus-transport.md §7). Payload items
/// say where the message's bytes are; metadata items describe the sender, as kdbus's
/// `KDBUS_ITEM_*` did. A reader skips item types it does not know.
public enum KDBusItemType: UInt32, Sendable, Hashable, CaseIterable {
    /// Message bytes inside this slice: u64 offset from the slice start, u64 length.
    case payloadInline = 1
    /// Message bytes in a sealed memfd: u64 length, u32 index of the fd among the RECV's
    /// memfds, u32 reserved (0).
    case payloadMemfd = 2
    /// uid, euid, suid, fsuid, gid, egid, sgid, fsgid: 8 × u32. uid and gid at send time
    /// (SCM_CREDENTIALS), the rest cached at connect.
    case credentials = 0x1001
    /// pid, tid, ppid: 3 × u32, then u32 0. pid at send time (SCM_CREDENTIALS), ppid cached
    /// at connect, tid 0: a userspace broker cannot learn the sending thread.
    case pids = 0x1002
    /// u32 index of a pidfd among the RECV's descriptors (after the message's), u32 0.
    case pidfd = 0x1003
    /// The sender process's comm, NUL-terminated. Cached at connect.
    case comm = 0x1004
    /// The sender's executable path, NUL-terminated. Cached at connect.
    case exe = 0x1005
    /// The sender's argv, each NUL-terminated. Cached at connect.
    case cmdline = 0x1006
    /// The sender's cgroup path, NUL-terminated.
    case cgroup = 0x1007
    /// u32 last capability number, u32 0, then inheritable, permitted, effective, bounding: 4 × u64.
    case capabilities = 0x1008
    /// The security label (LSM context), NUL-terminated. Taken at connect (SO_PEERSEC).
    case securityLabel = 0x1009
    /// loginuid, sessionid: 2 × u32.
    case audit = 0x100A
    /// The sender's well-known names at send time, each NUL-terminated.
    case ownedNames = 0x100B
    /// u64 bus sequence number, u64 CLOCK_MONOTONIC ns, u64 CLOCK_REALTIME ns, at send time.
    case timestamp = 0x100C
    /// Supplementary group ids: n × u32. Taken at connect (SO_PEERGROUPS).
    case groups = 0x100D

    /// Metadata item types are `metadataBase + 1 ...`.
    public static let metadataBase: UInt32 = 0x1000

    public var isMetadata: Bool { rawValue > Self.metadataBase }

    /// The item's name on the negotiation line and in the document.
    public var name: String {
        switch self {
        case .payloadInline: "payload-inline"
        case .payloadMemfd: "payload-memfd"
        case .credentials: "creds"
        case .pids: "pids"
        case .pidfd: "pidfd"
        case .comm: "comm"
        case .exe: "exe"
        case .cmdline: "cmdline"
        case .cgroup: "cgroup"
        case .capabilities: "caps"
        case .securityLabel: "seclabel"
        case .audit: "audit"
        case .ownedNames: "names"
        case .timestamp: "timestamp"
        case .groups: "groups"
        }
    }

    /// The exact payload size of a fixed-size item; nil for strings and lists.
    public var fixedPayloadSize: Int? {
        switch self {
        case .payloadInline: 16
        case .payloadMemfd: 16
        case .credentials: 32
        case .pids: 16
        case .pidfd: 8
        case .capabilities: 40
        case .audit: 8
        case .timestamp: 24
        case .comm, .exe, .cmdline, .cgroup, .securityLabel, .ownedNames, .groups: nil
        }
    }

    /// Whether the payload is NUL-terminated text (one string or a list of them).
    public var isText: Bool {
        switch self {
        case .comm, .exe, .cmdline, .cgroup, .securityLabel, .ownedNames: true
        default: false
        }
    }
}
