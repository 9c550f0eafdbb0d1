// Peer Identity
//
// Who is on the other end of a connection, as the kernel reported it at accept.
import BusPlatform

/// The credentials read once at accept (`SO_PEERCRED`, `SO_PEERPIDFD`, `SO_PEERSEC`,
/// `SO_PEERGROUPS`). They answer `GetConnectionCredentials` and the policy's user and
/// group contexts; the pidfd pins the process so `ProcessFD` names the right one.
struct PeerIdentity: ~Copyable {
    var process: ProcessCredentials
    var processDescriptor: FileDescriptor?
    /// The pidfd's number, lent while `processDescriptor` owns it.
    let processDescriptorNumber: CInt?
    var securityLabel: String?
    var groups: [UInt32]

    init(_ credentials: consuming PeerCredentials) {
        process = credentials.process
        securityLabel = credentials.securityLabel
        // SO_PEERGROUPS lists supplementary groups only; dbus-daemon reports the primary one too.
        let supplementary = credentials.groups.map { UInt32($0) }
        let primary = UInt32(credentials.process.groupID)
        groups = supplementary.contains(primary) ? supplementary : [primary] + supplementary
        var number: CInt?
        let taken = credentials.processDescriptor.take()
        switch consume taken {
        case .some(let pidfd): number = pidfd.take()
        case .none: number = nil
        }
        processDescriptorNumber = number
        processDescriptor = processDescriptorNumber.map { FileDescriptor(owning: $0) }
    }
}
