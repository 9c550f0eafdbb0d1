// Broker KDBus Metadata: sender facts read at connect, stamped per message, written per receiver.
import BusPlatform
import DBusWire
import Glibc

extension Broker {
    /// At accept: asks the kernel for per-message credentials (`SO_PASSCRED`) and reads what
    /// /proc says about the peer through its pidfd, once (docs/kdbus-transport.md §7). A peer
    /// whose /proc cannot be read is still served; its /proc items are left out.
    func prepareSenderMetadata(_ peer: Peer) {
        do {
            try peer.socket.setPassCredentials(true)
        } catch {
            logger.debug("\(peer.logName): no per-message credentials (SO_PASSCRED: \(error)); its connect-time pid, uid and gid stand in")
        }
        var process: ProcessMetadata?
        if let pidfd = peer.identity.processDescriptorNumber {
            // Borrowed: PeerIdentity owns the pidfd; take() below hands the number back unclosed.
            let borrowed = FileDescriptor(owning: pidfd)
            do throws(ProcessMetadataError) {
                process = try ProcessMetadata.read(processDescriptor: borrowed, processID: peer.identity.process.processID)
            } catch {
                logger.debug("\(peer.logName): no /proc metadata items: \(error)")
            }
            _ = borrowed.take()
        }
        peer.senderMetadata.cache = KDBusMetadataCache(
            process: process, securityLabel: peer.identity.securityLabel, groups: peer.identity.groups)
    }

    /// Keeps each peer's owned-name list (the names item) in step with the registry.
    func updateSenderNames(_ change: NameOwnerChange) {
        if let old = change.oldOwner, let peer = peers[old] { peer.senderMetadata.lost(change.name) }
        if let new = change.newOwner, let peer = peers[new] { peer.senderMetadata.acquired(change.name) }
    }

    /// Bytes the metadata items `wanted` take in a slice of the message being routed.
    func metadataLength(_ wanted: KDBusMetadataSet) -> Int {
        guard !wanted.isEmpty else { return 0 }
        guard let sender = metadataContext.sender else {
            return KDBusSliceWriter.metadataLength(wanted.intersection(.timestamp), cache: KDBusMetadataCache(), names: [], pidfdIndex: nil)
        }
        return KDBusSliceWriter.metadataLength(
            wanted, cache: sender.senderMetadata.cache, names: sender.senderMetadata.ownedNames,
            pidfdIndex: wanted.contains(.pidfd) ? 0 : nil)
    }

    /// Writes the items `wanted` about the message being routed. The pidfd, when `wanted` has
    /// it, is the RECV's descriptor after `descriptorsBeforePidfd` (the message's fds, then its
    /// memfds); `wanted` must hold `.pidfd` only when `senderPidfdForReceiver` gave one.
    /// For a message from the bus itself only the timestamp is written: it has no process.
    func appendMetadata(_ wanted: KDBusMetadataSet, to writer: inout KDBusSliceWriter, descriptorsBeforePidfd: Int) -> Bool {
        guard !wanted.isEmpty else { return true }
        let timestamp = metadataContext.currentTimestamp()
        guard let sender = metadataContext.sender else {
            let stamp = KDBusMetadataStamp(processID: 0, userID: 0, groupID: 0, timestamp: timestamp)
            return writer.appendMetadata(wanted.intersection(.timestamp), stamp: stamp, cache: KDBusMetadataCache(), names: [], pidfdIndex: nil)
        }
        let credentials = sender.senderMetadata.lastCredentials ?? sender.identity.process
        let stamp = KDBusMetadataStamp(
            processID: UInt32(bitPattern: credentials.processID), userID: credentials.userID, groupID: credentials.groupID,
            timestamp: timestamp)
        return writer.appendMetadata(
            wanted, stamp: stamp, cache: sender.senderMetadata.cache, names: sender.senderMetadata.ownedNames,
            pidfdIndex: wanted.contains(.pidfd) ? UInt32(descriptorsBeforePidfd) : nil)
    }

    /// A duplicate of the routed message's sender's pidfd for a receiver that asked for it;
    /// nil when there is none (then the receiver gets no pidfd item). The caller owns (and
    /// must close or pass on) the number. One `fcntl` per slice, only for receivers that ask.
    func senderPidfdForReceiver(_ wanted: KDBusMetadataSet) -> CInt? {
        guard wanted.contains(.pidfd), let sender = metadataContext.sender,
              let pidfd = sender.identity.processDescriptorNumber else { return nil }
        let copy = fcntl(pidfd, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? copy : nil
    }
}
