// KDBus Metadata: what a received slice says about the message's sender.

/// The metadata items of one received slice, decoded and typed (docs/kdbus-transport.md §7).
/// Each field is nil when its item was absent: the receiver did not ask for it
/// (`KDBusMetadataSet`), or the broker had no value (no pidfd, no security module, a /proc
/// read that failed). Which fields the broker takes per message and which it cached at the
/// sender's connect is said on each field; `SwiftBus.SenderCredentials` repeats it for users.
public struct KDBusMetadata: Sendable, Hashable {
    /// The creds item: real ids per message (`SCM_CREDENTIALS`), the others cached at connect.
    /// `KDBusMetadataCache.unknownID` stands for an id the broker could not read.
    public struct Credentials: Sendable, Hashable {
        public var uid, euid, suid, fsuid: UInt32
        public var gid, egid, sgid, fsgid: UInt32

        public init(uid: UInt32, euid: UInt32, suid: UInt32, fsuid: UInt32, gid: UInt32, egid: UInt32, sgid: UInt32, fsgid: UInt32) {
            (self.uid, self.euid, self.suid, self.fsuid) = (uid, euid, suid, fsuid)
            (self.gid, self.egid, self.sgid, self.fsgid) = (gid, egid, sgid, fsgid)
        }
    }

    /// The pids item: pid per message, ppid cached at connect (0 when unknown), tid always 0
    /// (a userspace broker cannot learn the sending thread).
    public struct ProcessIDs: Sendable, Hashable {
        public var pid, tid, ppid: UInt32

        public init(pid: UInt32, tid: UInt32, ppid: UInt32) {
            (self.pid, self.tid, self.ppid) = (pid, tid, ppid)
        }
    }

    /// The caps item (bit n = capability n), cached at connect.
    public struct Capabilities: Sendable, Hashable {
        public var lastCapability: UInt32
        public var inheritable, permitted, effective, bounding: UInt64

        public init(lastCapability: UInt32, inheritable: UInt64, permitted: UInt64, effective: UInt64, bounding: UInt64) {
            self.lastCapability = lastCapability
            (self.inheritable, self.permitted, self.effective, self.bounding) = (inheritable, permitted, effective, bounding)
        }
    }

    /// The audit item, cached at connect; 4294967295 means unset.
    public struct Audit: Sendable, Hashable {
        public var loginUID, sessionID: UInt32

        public init(loginUID: UInt32, sessionID: UInt32) {
            (self.loginUID, self.sessionID) = (loginUID, sessionID)
        }
    }

    /// The timestamp item, taken when the broker received the message.
    public struct Timestamp: Sendable, Hashable {
        /// Bus-wide, strictly increasing in the order the broker received messages.
        public var sequence: UInt64
        public var monotonicNanoseconds: UInt64
        public var realtimeNanoseconds: UInt64

        public init(sequence: UInt64, monotonicNanoseconds: UInt64, realtimeNanoseconds: UInt64) {
            (self.sequence, self.monotonicNanoseconds, self.realtimeNanoseconds) = (sequence, monotonicNanoseconds, realtimeNanoseconds)
        }
    }

    public var credentials: Credentials?
    public var processIDs: ProcessIDs?
    /// Index of the sender's pidfd among the RECV's descriptors (after the message's fds and memfds).
    public var pidfdIndex: Int?
    public var comm: String?
    public var executable: String?
    /// The sender's argv (the last argument may have been cut at 64 KiB).
    public var commandLine: [String]?
    public var cgroup: String?
    public var capabilities: Capabilities?
    /// The LSM label, taken at connect (`SO_PEERSEC`).
    public var securityLabel: String?
    public var audit: Audit?
    /// The sender's well-known names when the broker received the message.
    public var ownedNames: [String]?
    public var timestamp: Timestamp?
    /// Supplementary groups, taken at connect (`SO_PEERGROUPS`).
    public var groups: [UInt32]?

    public init() {}
}
