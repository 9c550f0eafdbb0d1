// Peer Credentials: who is on the other end of a connection, read once at accept.
import CSwiftBusShims
import Glibc

/// Everything the kernel tells us about a connected peer: its credentials as of
/// `connect()`, a pidfd that pins the process (so a recycled pid can never be mistaken
/// for it), its security label and its supplementary groups. What an old kernel or a
/// system without an LSM cannot report is nil, not an error.
public struct PeerCredentials: ~Copyable, Sendable {
    /// pid, uid and gid from `SO_PEERCRED`.
    public var process: ProcessCredentials
    /// An owned pidfd from `SO_PEERPIDFD` (Linux 6.5+); nil where the kernel lacks it.
    public var processDescriptor: FileDescriptor?
    /// The LSM label from `SO_PEERSEC` (SELinux context, AppArmor profile); nil without an LSM.
    public var securityLabel: String?
    /// Supplementary groups from `SO_PEERGROUPS`, for `<policy group=…>` rules.
    public var groups: [gid_t]
}

extension UnixSocket {
    /// Reads all of the peer's credentials; call it once, right after `accept`.
    public func peerCredentials() throws(Errno) -> PeerCredentials {
        PeerCredentials(
            process: try peerProcessCredentials(),
            processDescriptor: try peerProcessDescriptor(),
            securityLabel: try peerSecurityLabel(),
            groups: try peerGroups())
    }

    /// `SO_PEERCRED`: the peer's pid, uid and gid as they were when it connected.
    public func peerProcessCredentials() throws(Errno) -> ProcessCredentials {
        var raw = csb_ucred()
        var length = socklen_t(MemoryLayout<csb_ucred>.size)
        _ = try systemCall { getsockopt(descriptor.rawValue, SOL_SOCKET, csb_so_peercred(), &raw, &length) }
        return ProcessCredentials(raw)
    }

    /// `SO_PEERPIDFD`: nil when the kernel does not know the option (ENOPROTOOPT).
    public func peerProcessDescriptor() throws(Errno) -> FileDescriptor? {
        do {
            let raw = try integerOption(csb_so_peerpidfd())
            return FileDescriptor(owning: raw)
        } catch where error == .protocolOptionUnavailable || error == .invalidArgument {
            return nil
        }
    }

    /// `SO_PEERSEC`: nil when no security module labels sockets (ENOPROTOOPT).
    public func peerSecurityLabel() throws(Errno) -> String? {
        var capacity = PlatformLimits.initialSecurityLabelCapacity
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            var length = socklen_t(capacity)
            let result = getsockopt(descriptor.rawValue, SOL_SOCKET, csb_so_peersec(), &buffer, &length)
            if result == 0 { return labelString(buffer.prefix(Int(length))) }
            let error = Errno.current
            if error == .protocolOptionUnavailable { return nil }
            // ERANGE: the kernel wrote the size it needs into `length`.
            guard error == .outOfRange, Int(length) > capacity else { throw error }
            capacity = Int(length)
        }
    }

    /// The label may or may not include a terminating NUL, depending on the LSM.
    private func labelString(_ bytes: ArraySlice<UInt8>) -> String {
        let text = bytes.last == 0 ? bytes.dropLast() : bytes
        return String(decoding: text, as: UTF8.self)
    }

    /// `SO_PEERGROUPS`: the peer's supplementary groups as they were at connect.
    public func peerGroups() throws(Errno) -> [gid_t] {
        var capacity = PlatformLimits.initialPeerGroupCapacity
        while true {
            var groups = [gid_t](repeating: 0, count: capacity)
            var length = socklen_t(capacity * MemoryLayout<gid_t>.size)
            let result = getsockopt(descriptor.rawValue, SOL_SOCKET, csb_so_peergroups(), &groups, &length)
            if result == 0 { return Array(groups.prefix(Int(length) / MemoryLayout<gid_t>.size)) }
            let error = Errno.current
            if error == .protocolOptionUnavailable { return [] }
            guard error == .outOfRange, Int(length) / MemoryLayout<gid_t>.size > capacity else { throw error }
            capacity = Int(length) / MemoryLayout<gid_t>.size
        }
    }

    /// Turns on `SO_PASSCRED`, so every `receive` also reports the sender's credentials
    /// at the time it sent (`SCM_CREDENTIALS`), not only at connect.
    public func setPassCredentials(_ enabled: Bool) throws(Errno) {
        try setIntegerOption(csb_so_passcred(), enabled ? 1 : 0)
    }
}
