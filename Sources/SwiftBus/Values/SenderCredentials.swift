/// Sender Credentials
import DBusWire

/// Who sent a message, as swiftbusd vouches for it, attached to each message received over the
/// kdbus transport (docs/kdbus-transport.md §7) when the connection asked for the items
/// (`metadata=` at negotiation). A field is nil when its item was not asked for or the bus had
/// no value (no pidfd, no security module, a /proc entry it could not read). Over classic D-Bus
/// no message carries any: ask the bus with `BusDriver.credentials(of:)` instead.
///
/// **Per message** — true of the sender when the bus received this message: `processID`,
/// `userID`, `groupID` (the kernel's `SCM_CREDENTIALS` for the bytes that carried it),
/// `ownedNames` (the sender's well-known names then) and `sequence` with both timestamps.
///
/// **Cached** — read once through the sender's pidfd, the first time any receiver asked for
/// them (`SO_PEERSEC`, `SO_PEERGROUPS` and the pidfd itself: at its connect), so a recycled
/// pid cannot mislead them, but not refreshed if the process later changes: the effective, saved and
/// filesystem ids, `parentProcessID`, `comm`, `executable`, `commandLine`, `cgroup`,
/// `capabilities`, `loginUID`, `sessionID`, `securityLabel`, `supplementaryGroups` and
/// `processDescriptor`.
public struct SenderCredentials: Sendable {
    /// The sender's pid (per message).
    public var processID: UInt32?
    /// The sender's real uid and gid (per message).
    public var userID: UInt32?
    public var groupID: UInt32?
    /// The sender's well-known names when the bus received the message; empty when it asked
    /// for names and the sender owned none.
    public var ownedNames: [String]?
    /// Bus-wide and strictly increasing in the order the bus received messages.
    public var sequence: UInt64?
    /// CLOCK_MONOTONIC and CLOCK_REALTIME, in nanoseconds, when the bus received the message.
    public var monotonicNanoseconds: UInt64?
    public var realtimeNanoseconds: UInt64?

    /// Effective, saved and filesystem ids (cached); `KDBusMetadataCache.unknownID`
    /// where the bus could not read them is reported as nil.
    public var effectiveUserID: UInt32?
    public var savedUserID: UInt32?
    public var filesystemUserID: UInt32?
    public var effectiveGroupID: UInt32?
    public var savedGroupID: UInt32?
    public var filesystemGroupID: UInt32?
    public var parentProcessID: UInt32?
    /// The main thread's name, as `/proc/PID/comm`.
    public var comm: String?
    public var executable: String?
    /// The argument vector; the last argument may be cut (items stop at 64 KiB).
    public var commandLine: [String]?
    public var cgroup: String?
    public var capabilities: KDBusMetadata.Capabilities?
    /// Audit login uid and session id; 4294967295 means unset.
    public var loginUID: UInt32?
    public var sessionID: UInt32?
    /// The LSM label (`SO_PEERSEC`), without a trailing NUL.
    public var securityLabel: String?
    /// Supplementary group ids (`SO_PEERGROUPS`).
    public var supplementaryGroups: [UInt32]?
    /// A pidfd for the sender process, taken at its connect: it names that process for as long
    /// as you hold it, even after its pid is reused. Owned by this value (closed with the last
    /// reference) unless you `take()` it.
    public var processDescriptor: UnixFD?

    /// Builds the credentials from a slice's decoded metadata. `asked` is the connection's
    /// `metadata=` set, which tells an absent names item ("owns no name") from one not asked
    /// for; `processDescriptor` is the descriptor at `metadata.pidfdIndex` among the RECV's.
    public init(_ metadata: KDBusMetadata, asked: KDBusMetadataSet, processDescriptor: UnixFD? = nil) {
        if let credentials = metadata.credentials {
            userID = credentials.uid
            groupID = credentials.gid
            effectiveUserID = Self.known(credentials.euid)
            savedUserID = Self.known(credentials.suid)
            filesystemUserID = Self.known(credentials.fsuid)
            effectiveGroupID = Self.known(credentials.egid)
            savedGroupID = Self.known(credentials.sgid)
            filesystemGroupID = Self.known(credentials.fsgid)
        }
        if let ids = metadata.processIDs {
            processID = ids.pid
            parentProcessID = ids.ppid == 0 ? nil : ids.ppid
        }
        ownedNames = metadata.ownedNames ?? (asked.contains(.ownedNames) ? [] : nil)
        if let timestamp = metadata.timestamp {
            sequence = timestamp.sequence
            monotonicNanoseconds = timestamp.monotonicNanoseconds
            realtimeNanoseconds = timestamp.realtimeNanoseconds
        }
        comm = metadata.comm
        executable = metadata.executable
        commandLine = metadata.commandLine
        cgroup = metadata.cgroup
        capabilities = metadata.capabilities
        loginUID = metadata.audit?.loginUID
        sessionID = metadata.audit?.sessionID
        securityLabel = metadata.securityLabel
        supplementaryGroups = metadata.groups
        self.processDescriptor = processDescriptor
    }

    /// Whether the sender had capability `number` (e.g. 21, CAP_SYS_ADMIN) in its effective set.
    public func hasEffectiveCapability(_ number: Int) -> Bool? {
        guard let capabilities, number >= 0, number < 64 else { return nil }
        return capabilities.effective & (1 << UInt64(number)) != 0
    }

    private static func known(_ id: UInt32) -> UInt32? { id == KDBusMetadataCache.unknownID ? nil : id }
}
