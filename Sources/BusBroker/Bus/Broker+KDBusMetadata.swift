// Broker KDBus Metadata: sender facts read at connect, stamped per message, written per receiver.
import BusPlatform
import DBusWire
import Glibc

extension Broker {
    /// At accept: once some receiver has asked for metadata items, asks the kernel for
    /// per-message credentials (`SO_PASSCRED`) on the new connection too. Until then a bus
    /// pays nothing for metadata: no option, no credentials on each read, no /proc read.
    func prepareSenderMetadata(_ peer: Peer) {
        if describesSenders { passCredentials(of: peer) }
    }

    /// A pool peer agreed on `wanted` items: from now on every connection, classic or
    /// upgraded (either may send to it), carries per-message credentials.
    func receiverWantsMetadata(_ wanted: KDBusMetadataSet) {
        guard !wanted.isEmpty, !describesSenders else { return }
        describesSenders = true
        for peer in connections.values { passCredentials(of: peer) }
    }

    private func passCredentials(of peer: Peer) {
        do {
            try peer.socket.setPassCredentials(true)
        } catch {
            logger.debug("\(peer.logName): no per-message credentials (SO_PASSCRED: \(error)); its connect-time pid, uid and gid stand in")
        }
    }

    /// What /proc says about `sender`, read through its pidfd the first time a receiver asks
    /// for an item that needs it, then kept (docs/kdbus-transport.md §7). A sender whose /proc
    /// cannot be read (it has exited) is still described by what needs no /proc.
    private func senderCache(_ sender: Peer, for wanted: KDBusMetadataSet) -> KDBusMetadataCache {
        guard !sender.senderMetadata.isCacheLoaded, !wanted.subtracting(Self.itemsWithoutProc).isEmpty else {
            return sender.senderMetadata.cache
        }
        var process: ProcessMetadata?
        if let pidfd = sender.identity.processDescriptorNumber {
            // Borrowed: PeerIdentity owns the pidfd; take() below hands the number back unclosed.
            let borrowed = FileDescriptor(owning: pidfd)
            do throws(ProcessMetadataError) {
                process = try ProcessMetadata.read(processDescriptor: borrowed, processID: sender.identity.process.processID)
            } catch {
                logger.debug("\(sender.logName): no /proc metadata items: \(error)")
            }
            _ = borrowed.take()
        }
        sender.senderMetadata.cache = KDBusMetadataCache(
            process: process, securityLabel: sender.identity.securityLabel, groups: sender.identity.groups)
        sender.senderMetadata.isCacheLoaded = true
        return sender.senderMetadata.cache
    }

    /// Items written from what the broker knows itself, without the sender's /proc.
    private static let itemsWithoutProc: KDBusMetadataSet = [.timestamp, .ownedNames, .pidfd]

    /// Keeps each peer's owned-name list (the names item) in step with the registry.
    func updateSenderNames(_ change: NameOwnerChange) {
        if let old = change.oldOwner, let peer = peers[old] { peer.senderMetadata.lost(change.name) }
        if let new = change.newOwner, let peer = peers[new] { peer.senderMetadata.acquired(change.name) }
    }

    /// Bytes the metadata items `wanted` take in a slice of the message being routed.
    func metadataLength(_ wanted: KDBusMetadataSet) -> Int {
        guard !wanted.isEmpty else { return 0 }
        guard let sender = kdbusState.currentSender else {
            return KDBusSliceWriter.metadataLength(wanted.intersection(.timestamp), cache: KDBusMetadataCache(), names: [], pidfdIndex: nil)
        }
        return KDBusSliceWriter.metadataLength(
            wanted, cache: senderCache(sender, for: wanted), names: sender.senderMetadata.ownedNames,
            pidfdIndex: wanted.contains(.pidfd) ? 0 : nil)
    }

    /// Writes the items `wanted` about the message being routed. The pidfd, when `wanted` has
    /// it, is the RECV's descriptor after `descriptorsBeforePidfd` (the message's fds, then its
    /// memfds); `wanted` must hold `.pidfd` only when `senderPidfdForReceiver` gave one.
    /// For a message from the bus itself only the timestamp is written: it has no process.
    func appendMetadata(_ wanted: KDBusMetadataSet, to writer: inout KDBusSliceWriter, descriptorsBeforePidfd: Int) -> Bool {
        guard !wanted.isEmpty else { return true }
        let timestamp = metadataContext.currentTimestamp()
        guard let sender = kdbusState.currentSender else {
            let stamp = KDBusMetadataStamp(processID: 0, userID: 0, groupID: 0, timestamp: timestamp)
            return writer.appendMetadata(wanted.intersection(.timestamp), stamp: stamp, cache: KDBusMetadataCache(), names: [], pidfdIndex: nil)
        }
        let credentials = sender.senderMetadata.lastCredentials ?? sender.identity.process
        let stamp = KDBusMetadataStamp(
            processID: UInt32(bitPattern: credentials.processID), userID: credentials.userID, groupID: credentials.groupID,
            timestamp: timestamp)
        return writer.appendMetadata(
            wanted, stamp: stamp, cache: senderCache(sender, for: wanted), names: sender.senderMetadata.ownedNames,
            pidfdIndex: wanted.contains(.pidfd) ? UInt32(descriptorsBeforePidfd) : nil)
    }

    /// A duplicate of the routed message's sender's pidfd for a receiver that asked for it;
    /// nil when there is none (then the receiver gets no pidfd item). The caller owns (and
    /// must close or pass on) the number. One `fcntl` per slice, only for receivers that ask.
    func senderPidfdForReceiver(_ wanted: KDBusMetadataSet) -> CInt? {
        guard wanted.contains(.pidfd), let sender = kdbusState.currentSender,
              let pidfd = sender.identity.processDescriptorNumber else { return nil }
        let copy = fcntl(pidfd, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? copy : nil
    }
}
