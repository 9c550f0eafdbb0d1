/// Bus Driver
import DBusWire

/// `org.freedesktop.DBus`, the bus itself, declared like any interface.
public enum BusDriverInterface: DBusInterface {
    public static let name = "org.freedesktop.DBus"
    public static let hello = method("Hello", Void.self, returns: String.self)
    public static let requestName = method("RequestName", (String, UInt32).self, returns: UInt32.self)
    public static let releaseName = method("ReleaseName", String.self, returns: UInt32.self)
    public static let listNames = method("ListNames", Void.self, returns: [String].self)
    public static let listActivatableNames = method("ListActivatableNames", Void.self, returns: [String].self)
    public static let listQueuedOwners = method("ListQueuedOwners", String.self, returns: [String].self)
    public static let nameHasOwner = method("NameHasOwner", String.self, returns: Bool.self)
    public static let getNameOwner = method("GetNameOwner", String.self, returns: String.self)
    public static let startServiceByName = method("StartServiceByName", (String, UInt32).self, returns: UInt32.self)
    public static let addMatch = method("AddMatch", String.self, returns: Void.self)
    public static let removeMatch = method("RemoveMatch", String.self, returns: Void.self)
    public static let getConnectionUnixUser = method("GetConnectionUnixUser", String.self, returns: UInt32.self)
    public static let getConnectionUnixProcessID = method("GetConnectionUnixProcessID", String.self, returns: UInt32.self)
    public static let getConnectionCredentials = method(
        "GetConnectionCredentials", String.self, returns: [String: Variant].self)
    public static let getId = method("GetId", Void.self, returns: String.self)
    public static let nameOwnerChanged = signal("NameOwnerChanged", (String, String, String).self)
    public static let nameAcquired = signal("NameAcquired", String.self)
    public static let nameLost = signal("NameLost", String.self)
}

/// The bus driver as a built-in typed proxy: names, match rules, peer credentials.
/// Get it from `connection.bus`.
public struct BusDriver: Sendable {
    /// `org.freedesktop.DBus`: the driver's bus name and interface.
    public static let busName = "org.freedesktop.DBus"
    public static let interfaceName = BusDriverInterface.name
    public static let path: ObjectPath = "/org/freedesktop/DBus"

    /// The typed proxy underneath, for members without a wrapper here.
    public let proxy: Proxy<BusDriverInterface>

    init(connection: Connection) {
        proxy = Proxy(connection: connection, destination: Self.busName, path: Self.path)
    }

    /// Asks for a well-known name; see `RequestNameFlags` and `RequestNameReply`.
    public func requestName(_ name: String, flags: RequestNameFlags = []) async throws -> RequestNameReply {
        let raw = try await proxy.call(BusDriverInterface.requestName, name, flags.rawValue)
        return RequestNameReply(rawValue: raw) ?? .unknown
    }

    /// Gives a name up (or leaves its queue).
    public func releaseName(_ name: String) async throws -> ReleaseNameReply {
        let raw = try await proxy.call(BusDriverInterface.releaseName, name)
        return ReleaseNameReply(rawValue: raw) ?? .unknown
    }

    public func listNames() async throws -> [String] { try await proxy.call(BusDriverInterface.listNames) }
    public func listActivatableNames() async throws -> [String] { try await proxy.call(BusDriverInterface.listActivatableNames) }
    public func listQueuedOwners(_ name: String) async throws -> [String] { try await proxy.call(BusDriverInterface.listQueuedOwners, name) }
    public func nameHasOwner(_ name: String) async throws -> Bool { try await proxy.call(BusDriverInterface.nameHasOwner, name) }
    /// The unique name owning `name`; throws `NameHasNoOwner` when nobody does.
    public func getNameOwner(_ name: String) async throws -> String { try await proxy.call(BusDriverInterface.getNameOwner, name) }
    public func getId() async throws -> String { try await proxy.call(BusDriverInterface.getId) }
    public func getConnectionUnixUser(_ name: String) async throws -> UInt32 {
        try await proxy.call(BusDriverInterface.getConnectionUnixUser, name)
    }
    public func getConnectionUnixProcessID(_ name: String) async throws -> UInt32 {
        try await proxy.call(BusDriverInterface.getConnectionUnixProcessID, name)
    }
    /// sd-bus's credentials call: `UnixUserID`, `ProcessID`, `UnixGroupIDs`, … as variants.
    public func getConnectionCredentials(_ name: String) async throws -> [String: Variant] {
        try await proxy.call(BusDriverInterface.getConnectionCredentials, name)
    }
    public func addMatch(_ rule: MatchRule) async throws { try await proxy.call(BusDriverInterface.addMatch, rule.description) }
    public func removeMatch(_ rule: MatchRule) async throws { try await proxy.call(BusDriverInterface.removeMatch, rule.description) }
}

/// Flags of `RequestName`.
public struct RequestNameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Let a later request with `.replaceExisting` take the name from us.
    public static let allowReplacement = RequestNameFlags(rawValue: 0x1)
    /// Take the name from its owner if that owner allowed replacement.
    public static let replaceExisting = RequestNameFlags(rawValue: 0x2)
    /// Fail rather than wait in the queue.
    public static let doNotQueue = RequestNameFlags(rawValue: 0x4)
}

/// The answer to `RequestName`.
public enum RequestNameReply: UInt32, Sendable {
    case primaryOwner = 1, inQueue = 2, exists = 3, alreadyOwner = 4
    /// A value the specification does not define.
    case unknown = 0
}

/// The answer to `ReleaseName`.
public enum ReleaseNameReply: UInt32, Sendable {
    case released = 1, nonExistent = 2, notOwner = 3
    case unknown = 0
}

extension Connection {
    /// The bus driver, `org.freedesktop.DBus`, as a typed proxy.
    public var bus: BusDriver { BusDriver(connection: self) }
}
