// KDBus Metadata Cache: what the broker learns about a sender once.

/// The sender facts the broker reads once (/proc through the pidfd, the first time a receiver
/// asks; `SO_PEERSEC`, `SO_PEERGROUPS` at connect) and copies into the metadata items of each message that
/// peer sends. Text is raw bytes (no NUL), so writing an item builds no string. A value the
/// broker could not read is nil (its item is left out) or, inside the fixed-size creds and
/// pids items, `unknownID` / 0.
public struct KDBusMetadataCache: Sendable, Hashable {
    /// Stands in the creds item for an id the broker could not read ((uid_t)-1, as the kernel uses).
    public static let unknownID = UInt32.max

    public var effectiveUID = unknownID, savedUID = unknownID, filesystemUID = unknownID
    public var effectiveGID = unknownID, savedGID = unknownID, filesystemGID = unknownID
    /// 0 when unknown.
    public var parentPID: UInt32 = 0
    public var comm: [UInt8]?
    public var executable: [UInt8]?
    /// The argv, each argument NUL-terminated, as /proc/PID/cmdline gives it.
    public var commandLine: [UInt8]?
    public var cgroup: [UInt8]?
    public var capabilities: KDBusMetadata.Capabilities?
    public var securityLabel: [UInt8]?
    public var audit: KDBusMetadata.Audit?
    public var groups: [UInt32] = []

    public init() {}
}
