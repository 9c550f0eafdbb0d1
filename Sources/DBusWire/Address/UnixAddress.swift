/// The typed view of a `unix:` address entry, with the key rules libdbus applies.
///
/// Exactly one location key (`path`, `abstract`, `tmpdir`, `dir`, `runtime=yes`), an
/// optional `guid` of 32 hex digits, no other key and no key twice: a typo such as
/// `unix:pth=/run/bus` must fail loudly rather than listen somewhere unexpected.
public struct UnixAddress: Sendable, Hashable, CustomStringConvertible {
    /// Where the socket is, or how to pick it.
    public enum Location: Sendable, Hashable {
        /// A filesystem socket at this path.
        case path(String)
        /// A Linux abstract socket with this name (no leading NUL).
        case abstract(String)
        /// Listen only: a new randomly named filesystem socket in this directory. The spec
        /// lets a server use an abstract socket instead (dbus-daemon 1.14 does on Linux); we
        /// do not, because abstract sockets ignore filesystem permissions and mount
        /// namespaces, which is why dbus 1.15 made `tmpdir` behave like `dir`.
        case tmpdir(String)
        /// Listen only: a new randomly named filesystem socket in this directory.
        case dir(String)
        /// Listen only: `$XDG_RUNTIME_DIR/bus`.
        case runtime
    }

    /// The keys a `unix:` entry may carry.
    static let locationKeys: Set<String> = ["path", "abstract", "tmpdir", "dir", "runtime"]
    static let guidKey = "guid"

    public var location: Location
    /// The server's id, when the address names it; a client then checks the server's `OK`.
    public var guid: DBusGUID?

    public init(location: Location, guid: DBusGUID? = nil) {
        self.location = location
        self.guid = guid
    }

    /// Checks a generic entry against the unix transport's rules.
    public init(_ entry: DBusAddress) throws(AddressError) {
        guard entry.transport == "unix" else { throw AddressError(.notUnixTransport) }
        var seen: Set<String> = []
        var location: Location?
        var guid: DBusGUID?
        for parameter in entry.parameters {
            let key = parameter.key
            if !seen.insert(key).inserted { throw AddressError(.duplicateKey, key: key) }
            if key == Self.guidKey {
                guard let parsed = DBusGUID(parameter.value) else { throw AddressError(.invalidGUID, key: key) }
                guid = parsed
                continue
            }
            guard Self.locationKeys.contains(key) else { throw AddressError(.unknownKey, key: key) }
            if location != nil { throw AddressError(.conflictingLocations, key: key) }
            location = try Self.location(key: key, value: parameter.value)
        }
        guard let location else { throw AddressError(.noLocation) }
        self.init(location: location, guid: guid)
    }

    /// Parses text holding exactly one `unix:` entry.
    public init(parsing text: String) throws(AddressError) {
        try self.init(DBusAddress(parsing: text))
    }

    static func location(key: String, value: String) throws(AddressError) -> Location {
        switch key {
        case "path": return .path(value)
        case "abstract": return .abstract(value)
        case "tmpdir": return .tmpdir(value)
        case "dir": return .dir(value)
        default:
            guard value == "yes" else { throw AddressError(.invalidRuntimeValue, key: key) }
            return .runtime
        }
    }

    /// The generic entry, location first and guid last, as dbus-daemon prints them.
    public var entry: DBusAddress {
        var parameters: [DBusAddress.Parameter]
        switch location {
        case .path(let value): parameters = [.init(key: "path", value: value)]
        case .abstract(let value): parameters = [.init(key: "abstract", value: value)]
        case .tmpdir(let value): parameters = [.init(key: "tmpdir", value: value)]
        case .dir(let value): parameters = [.init(key: "dir", value: value)]
        case .runtime: parameters = [.init(key: "runtime", value: "yes")]
        }
        if let guid { parameters.append(.init(key: Self.guidKey, value: guid.hex)) }
        return DBusAddress(transport: "unix", parameters: parameters)
    }

    public var description: String { entry.description }
}
