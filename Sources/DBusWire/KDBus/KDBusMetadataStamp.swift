// KDBus Metadata Stamp: what the broker learns about a sender per message.

/// The per-message half of a message's metadata: the sender's pid, uid and gid as the kernel
/// attached them to the bytes (`SCM_CREDENTIALS`), and the bus sequence number and clocks the
/// broker took when it received the message. Set once per message and written into the
/// items of every receiver that asked, so all receivers see the same values.
public struct KDBusMetadataStamp: Sendable, Hashable {
    public var processID: UInt32
    public var userID: UInt32
    public var groupID: UInt32
    public var timestamp: KDBusMetadata.Timestamp

    public init(processID: UInt32, userID: UInt32, groupID: UInt32, timestamp: KDBusMetadata.Timestamp) {
        self.processID = processID
        self.userID = userID
        self.groupID = groupID
        self.timestamp = timestamp
    }
}
