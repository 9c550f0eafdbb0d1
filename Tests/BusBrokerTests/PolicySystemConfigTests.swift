// Policy System Config Tests
//
// The distribution's own system.conf and session.conf, with every file they include on
// this machine, loaded through ConfigLoader and resolved against the real user database.

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import BusBroker

private let systemConf = "/usr/share/dbus-1/system.conf"
private let sessionConf = "/usr/share/dbus-1/session.conf"
private func exists(_ path: String) -> Bool { access(path, R_OK) == 0 }

@Suite(.enabled(if: exists(systemConf), "needs dbus's system.conf"))
struct PolicySystemConfigTests {
    let engine: PolicyEngine
    let users = SystemUserDatabase()
    /// An ordinary user: no policy block names it.
    let ordinary: UInt32 = 1000

    init() throws {
        engine = PolicyEngine(config: try ConfigLoader().load(file: systemConf))
    }

    func policy(_ uid: UInt32) -> PeerPolicy {
        engine.policy(forUser: uid, groups: users.groups(ofUser: uid) ?? [])
    }

    @Test func everyWarningNamesAUserOrGroupThisMachineLacks() {
        for warning in engine.warnings {
            let name = warning.message.split(separator: "\"")[1]
            if warning.message.hasPrefix("Unknown username") {
                #expect(users.userID(named: String(name)) == nil, "\(warning)")
            } else {
                #expect(users.groupID(named: String(name)) == nil, "\(warning)")
            }
        }
    }

    @Test func anyoneMayConnect() {
        #expect(engine.canConnect(uid: 0, groups: [0]))
        #expect(engine.canConnect(uid: 65534, groups: [65534]))
        #expect(engine.canConnect(uid: 123_456, groups: []))
        // …but a uid the user database does not know is refused, as dbus-daemon does.
        #expect(!engine.canConnect(uid: 123_456))
        #expect(engine.canConnect(uid: 0))
    }

    @Test func rootOwnsWhatItsServicesNeedAndOthersOwnNothing() {
        let root = policy(0)
        let user = policy(ordinary)
        for name in ["org.freedesktop.hostname1", "org.freedesktop.systemd1"] where exists("/usr/share/dbus-1/system.d/\(name).conf") {
            #expect(root.canOwn(name), "\(name)")
            #expect(!user.canOwn(name), "\(name)")
        }
        if exists("/etc/dbus-1/system.d/org.freedesktop.PackageKit.conf") {
            #expect(root.canOwn("org.freedesktop.PackageKit") && !user.canOwn("org.freedesktop.PackageKit"))
        }
        // No file on this machine lets anyone own NetworkManager's name.
        if !exists("/usr/share/dbus-1/system.d/org.freedesktop.NetworkManager.conf")
            && !exists("/etc/dbus-1/system.d/org.freedesktop.NetworkManager.conf") {
            #expect(!root.canOwn("org.freedesktop.NetworkManager") && !user.canOwn("org.freedesktop.NetworkManager"))
        }
        #expect(!root.canOwn("com.example.Anything") && !user.allowsEveryOwnership)
    }

    @Test func theBusDriverTakesItsOwnInterfacesButNotTheDangerousOnes() {
        let user = policy(ordinary)
        let root = policy(0)
        #expect(user.sendByDestination(.call("org.freedesktop.DBus", "Hello", to: "org.freedesktop.DBus")) == .allow)
        #expect(user.sendByDestination(.call("org.freedesktop.DBus.Properties", "GetAll", to: "org.freedesktop.DBus")) == .allow)
        #expect(!user.sendByDestination(.call("org.freedesktop.DBus", "UpdateActivationEnvironment", to: "org.freedesktop.DBus")).isAllowed)
        #expect(!user.sendByDestination(.call("org.freedesktop.DBus.Monitoring", "BecomeMonitor", to: "org.freedesktop.DBus")).isAllowed)
        #expect(root.sendByDestination(.call("org.freedesktop.DBus.Monitoring", "BecomeMonitor", to: "org.freedesktop.DBus")) == .allow)
    }

    @Test(.enabled(if: exists("/usr/share/dbus-1/system.d/org.freedesktop.systemd1.conf")))
    func methodCallsNeedAHoleInThePolicy() {
        let user = policy(ordinary)
        let systemd = PolicyHeldNames([":1.1", "org.freedesktop.systemd1"])
        let other = PolicyHeldNames([":1.2", "com.example.Service"])
        #expect(user.send(.call("org.freedesktop.systemd1.Manager", "GetUnit", to: "org.freedesktop.systemd1"), to: systemd) == .allow)
        #expect(!user.send(.call("org.freedesktop.systemd1.Manager", "NoSuchMethod", to: "org.freedesktop.systemd1"), to: systemd).isAllowed)
        #expect(!user.send(.call("com.example.Iface", "Method"), to: other).isAllowed)
        // root's own block opens systemd completely.
        #expect(policy(0).send(.call("org.freedesktop.systemd1.Manager", "NoSuchMethod", to: "org.freedesktop.systemd1"), to: systemd) == .allow)
    }

    @Test func signalsAndRequestedRepliesPassUnrequestedOnesDoNot() {
        let user = policy(ordinary)
        #expect(user.send(.signal("com.example.Iface", "Changed")) == .allow)
        #expect(user.send(.reply(), requestedReply: true, to: nobodyInParticular) == .allow)
        #expect(user.send(.error("com.example.Failed"), requestedReply: true, to: nobodyInParticular) == .allow)
        #expect(!user.send(.reply(), requestedReply: false, to: nobodyInParticular).isAllowed)
        #expect(!user.send(.error("com.example.Failed"), requestedReply: false, to: nobodyInParticular).isAllowed)
    }

    @Test func everythingAddressedMayBeReceivedButNothingEavesdropped() {
        let user = policy(ordinary)
        #expect(user.receive(.call("com.example.Iface", "Method")) == .allow)
        #expect(user.receive(.signal("com.example.Iface", "Changed")) == .allow)
        #expect(user.receive(.reply(), requestedReply: true) == .allow)
        #expect(!user.eavesdrop(.call("com.example.Iface", "Method")))
        #expect(!user.allowsEverySend && !user.allowsEveryReceive)
    }
}

@Suite(.enabled(if: exists(sessionConf), "needs dbus's session.conf"))
struct PolicySessionConfigTests {
    @Test(arguments: [true, false])
    func everythingIsAllowedOnTheFastPath(builtIn: Bool) throws {
        let config = builtIn
            ? try ConfigLoader().load(text: BuiltinSessionConfig.text, name: BuiltinSessionConfig.name, baseDirectory: BuiltinSessionConfig.baseDirectory)
            : try ConfigLoader().load(file: sessionConf)
        let engine = PolicyEngine(config: config)
        let policy = engine.policy(forUser: 1000, groups: [1000])
        #expect(policy.allowsEverySend && policy.allowsEveryReceive && policy.allowsEveryAddressedReceive)
        #expect(policy.allowsEveryOwnership && policy.mayEavesdrop)
        #expect(policy.send(.reply(), requestedReply: false) == .allow)
        #expect(policy.eavesdrop(.call("a.B", "C")))
        #expect(policy.canOwn("org.freedesktop.NetworkManager"))
        // No user rules: only the bus's own user may connect.
        #expect(engine.canConnect(uid: geteuid(), groups: []))
        #expect(!engine.canConnect(uid: geteuid() == 0 ? 1000 : 0, groups: []))
        #expect(engine.warnings.isEmpty)
    }
}

@Suite struct PolicyUserDatabaseTests {
    let users = SystemUserDatabase()

    @Test func resolvesNamesAndNumbersThatExist() {
        #expect(users.userID(named: "root") == 0)
        #expect(users.userID(named: "0") == 0)
        #expect(users.groupID(named: "root") == 0)
        #expect(users.groupID(named: "0") == 0)
        #expect(users.userID(named: "no-such-user-here") == nil)
        #expect(users.userID(named: "*") == nil)
        #expect(users.userID(named: "4000000000") == nil)
        #expect(users.groupID(named: "no-such-group-here") == nil)
    }

    @Test func groupsOfAUserStartWithItsPrimaryGroup() {
        #expect(users.groups(ofUser: 0)?.first == 0)
        if let nobody = users.userID(named: "nobody"), let groups = users.groups(ofUser: nobody) {
            #expect(groups.first == getpwuid(nobody)?.pointee.pw_gid)
        }
        #expect(users.groups(ofUser: 3_999_999_999) == nil)
    }
}
