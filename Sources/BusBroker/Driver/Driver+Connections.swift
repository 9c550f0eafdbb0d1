// Driver Connection Queries
//
// What the driver tells about a connection: its uid, pid, credentials and labels, all
// as read from the socket at accept.
import BusPlatform
import DBusWire
import Glibc

extension Broker {
    /// The peer behind `name` for a credentials query, or nil for the driver itself.
    private func queriedPeer(_ call: DriverCall, getting what: String) throws(DriverError) -> Peer? {
        try expect(call, "s")
        let name = stringArgument(call, 0)
        if name == Broker.driverName { return nil }
        guard let id = registry.owner(of: name), let peer = peers[id] else { throw .noOwner(name, getting: what) }
        return peer
    }

    func connectionUnixUser(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        let peer = try queriedPeer(call, getting: "UID")
        return DriverAnswer(body: [.uint32(peer?.identity.process.userID ?? getuid())])
    }

    func connectionUnixProcessID(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        let peer = try queriedPeer(call, getting: "PID")
        return DriverAnswer(body: [.uint32(UInt32(bitPattern: peer?.identity.process.processID ?? getpid()))])
    }

    /// `GetConnectionCredentials`: UnixUserID, UnixGroupIDs, ProcessID, ProcessFD (a
    /// duplicate of the pidfd taken at accept, when the caller accepts fds) and
    /// LinuxSecurityLabel (with its NUL, as dbus-daemon sends it) where the kernel knows one.
    func connectionCredentials(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        guard let peer = try queriedPeer(call, getting: "credentials") else {
            return DriverAnswer(body: [credentialsDictionary([
                ("ProcessID", .uint32(UInt32(bitPattern: getpid()))), ("UnixUserID", .uint32(getuid())),
            ])])
        }
        var items: [(String, DBusValue)] = [
            ("ProcessID", .uint32(UInt32(bitPattern: peer.identity.process.processID))),
            ("UnixUserID", .uint32(peer.identity.process.userID)),
            ("UnixGroupIDs", .array(element: .uint32, peer.identity.groups.map { .uint32($0) })),
        ]
        if let label = peer.identity.securityLabel {
            items.append(("LinuxSecurityLabel", .bytes(Array(label.utf8) + [0])))
        }
        var fds: [CInt] = []
        if call.peer.unixFDsNegotiated, let pidfd = peer.identity.processDescriptorNumber {
            let copy = duplicateDescriptor(pidfd)
            if copy >= 0 {
                fds.append(copy)
                items.append(("ProcessFD", .unixFD(0)))
            }
        }
        return DriverAnswer(body: [credentialsDictionary(items)], fds: fds)
    }

    private func credentialsDictionary(_ items: [(String, DBusValue)]) -> DBusValue {
        .dictionary(key: .string, value: .variant, items.map { DBusDictEntry(key: .string($0.0), value: .variant($0.1)) })
    }

    func adtAuditSessionData(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        let name = call.message.body.isEmpty ? "" : stringArgument(call, 0)
        _ = try queriedPeer(call, getting: "audit session data")
        throw DriverError(name: "org.freedesktop.DBus.Error.AdtAuditDataUnknown",
                          message: "Could not determine audit session data for '\(name)'")
    }

    /// Without SELinux (this broker does not ask it) dbus-daemon answers with this error.
    func selinuxSecurityContext(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        let name = call.message.body.isEmpty ? "" : stringArgument(call, 0)
        _ = try queriedPeer(call, getting: "security context")
        throw DriverError(name: "org.freedesktop.DBus.Error.SELinuxSecurityContextUnknown",
                          message: "Could not determine security context for '\(name)'")
    }
}
