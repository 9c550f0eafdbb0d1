// KDBus Metadata Sender: what the broker keeps to describe a peer as the sender of a message.
import BusPlatform
import DBusWire

/// The sender side of the metadata items (docs/kdbus-transport.md §7) for one peer, classic or
/// upgraded, since either may send to a receiver that asked for items: the facts cached at
/// first need, the well-known names it owns now (as bytes, kept in step with the registry's
/// events so that writing the names item builds nothing), and the kernel's `SCM_CREDENTIALS`
/// for the bytes last read from it.
struct KDBusMetadataSender {
    /// What /proc said, read on first need (`Broker.senderCache`).
    var cache = KDBusMetadataCache()
    var isCacheLoaded = false
    /// The well-known names this peer is primary owner of, in the order it got them.
    private(set) var ownedNames: [[UInt8]] = []
    /// pid, uid and gid the kernel attached to the last bytes read from the peer; nil until
    /// one read carried them (`SO_PASSCRED` on). The kernel never returns bytes of two
    /// writers in one read, so these are the credentials of every message that read completed.
    var lastCredentials: ProcessCredentials?

    mutating func acquired(_ name: String) {
        let bytes = Array(name.utf8)
        if !ownedNames.contains(bytes) { ownedNames.append(bytes) }
    }

    mutating func lost(_ name: String) {
        let bytes = Array(name.utf8)
        ownedNames.removeAll { $0 == bytes }
    }
}

extension KDBusMetadataCache {
    /// The cache for a peer: /proc facts (when they could be read), its `SO_PEERSEC` label and
    /// `SO_PEERGROUPS` groups.
    init(process: ProcessMetadata?, securityLabel: String?, groups: [UInt32]) {
        self.init()
        if let process {
            (effectiveUID, savedUID, filesystemUID) = (process.userIDs.effective, process.userIDs.saved, process.userIDs.filesystem)
            (effectiveGID, savedGID, filesystemGID) = (process.groupIDs.effective, process.groupIDs.saved, process.groupIDs.filesystem)
            parentPID = UInt32(bitPattern: process.parentProcessID)
            comm = process.comm
            executable = process.executable
            commandLine = process.commandLine
            cgroup = process.cgroup
            capabilities = process.capabilities.map {
                KDBusMetadata.Capabilities(lastCapability: $0.lastCapability, inheritable: $0.inheritable,
                                           permitted: $0.permitted, effective: $0.effective, bounding: $0.bounding)
            }
            if let login = process.loginUID, let session = process.sessionID {
                audit = KDBusMetadata.Audit(loginUID: login, sessionID: session)
            }
        }
        self.securityLabel = securityLabel.map { Array($0.utf8) }
        self.groups = groups
    }
}
