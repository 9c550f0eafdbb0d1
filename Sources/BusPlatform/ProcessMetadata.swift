// Process Metadata: what /proc says about a peer's process, read once at connect.
import Glibc

/// The facts about a sender that only /proc knows and the kdbus transport attaches to
/// messages (docs/kdbus-transport.md §7): all four user and group ids, the parent pid, comm,
/// exe, cmdline, cgroup, capabilities and audit ids. `read(processDescriptor:processID:)`
/// takes them once at connect through the peer's pidfd, so a recycled pid can never lend
/// another process's facts; they are then cached, because /proc read per message would race
/// with the sender changing or exiting and cost a dozen system calls.
///
/// Text is kept as bytes, as the kernel gave it, so the broker copies it into slices without
/// building strings; each text is cut to `maxTextLength`. A field /proc does not give
/// (permission denied, a kernel built without audit) is nil, not an error.
public struct ProcessMetadata: Sendable, Hashable {
    /// Real, effective, saved and filesystem ids, as `/proc/PID/status` lists them.
    public struct IDs: Sendable, Hashable {
        public var real: UInt32
        public var effective: UInt32
        public var saved: UInt32
        public var filesystem: UInt32

        public init(real: UInt32, effective: UInt32, saved: UInt32, filesystem: UInt32) {
            self.real = real
            self.effective = effective
            self.saved = saved
            self.filesystem = filesystem
        }
    }

    /// Capability sets (bit n = capability n) and the highest capability number this kernel knows.
    public struct Capabilities: Sendable, Hashable {
        public var lastCapability: UInt32
        public var inheritable: UInt64
        public var permitted: UInt64
        public var effective: UInt64
        public var bounding: UInt64

        public init(lastCapability: UInt32, inheritable: UInt64, permitted: UInt64, effective: UInt64, bounding: UInt64) {
            self.lastCapability = lastCapability
            self.inheritable = inheritable
            self.permitted = permitted
            self.effective = effective
            self.bounding = bounding
        }
    }

    /// Longest text kept (comm, exe, cmdline, cgroup): 64 KiB less 16 bytes, so that with an
    /// 8-byte item header and a terminating NUL an item stays within the transport's
    /// 64 KiB item limit (`KDBusLimits.maxItemSize`; BusPlatform cannot see DBusWire).
    public static let maxTextLength = 64 * 1024 - 16

    public var processID: pid_t
    public var userIDs: IDs
    public var groupIDs: IDs
    public var parentProcessID: pid_t
    /// The thread name of the main thread (`/proc/PID/comm`), without its newline.
    public var comm: [UInt8]
    /// The executable's path (`/proc/PID/exe`); nil where the link may not be read.
    public var executable: [UInt8]?
    /// The argument vector, each argument NUL-terminated (`/proc/PID/cmdline`); nil when empty.
    public var commandLine: [UInt8]?
    /// The cgroup path in the unified hierarchy (the `0::` line of `/proc/PID/cgroup`).
    public var cgroup: [UInt8]?
    public var capabilities: Capabilities?
    /// `/proc/PID/loginuid`; 4294967295 means unset. Nil without kernel audit support.
    public var loginUID: UInt32?
    /// `/proc/PID/sessionid`; 4294967295 means unset. Nil without kernel audit support.
    public var sessionID: UInt32?

    public init(
        processID: pid_t, userIDs: IDs, groupIDs: IDs, parentProcessID: pid_t, comm: [UInt8],
        executable: [UInt8]? = nil, commandLine: [UInt8]? = nil, cgroup: [UInt8]? = nil,
        capabilities: Capabilities? = nil, loginUID: UInt32? = nil, sessionID: UInt32? = nil
    ) {
        self.processID = processID
        self.userIDs = userIDs
        self.groupIDs = groupIDs
        self.parentProcessID = parentProcessID
        self.comm = comm
        self.executable = executable
        self.commandLine = commandLine
        self.cgroup = cgroup
        self.capabilities = capabilities
        self.loginUID = loginUID
        self.sessionID = sessionID
    }

    /// The arguments of `commandLine` as strings (invalid UTF-8 repaired), for logs and tests.
    public var arguments: [String] {
        guard let commandLine else { return [] }
        return commandLine.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
    }
}
