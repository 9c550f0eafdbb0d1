// Process Credentials: the pid, uid and gid the kernel vouches for.
import CSwiftBusShims
import Glibc

/// A process's identity as the kernel reports it (`SO_PEERCRED` at connect,
/// `SCM_CREDENTIALS` per message). The kernel checks these; the peer cannot lie.
public struct ProcessCredentials: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var processID: pid_t
    public var userID: uid_t
    public var groupID: gid_t

    public init(processID: pid_t, userID: uid_t, groupID: gid_t) {
        self.processID = processID
        self.userID = userID
        self.groupID = groupID
    }

    init(_ raw: csb_ucred) {
        self.init(processID: raw.pid, userID: raw.uid, groupID: raw.gid)
    }

    public var description: String { "pid=\(processID) uid=\(userID) gid=\(groupID)" }
}
