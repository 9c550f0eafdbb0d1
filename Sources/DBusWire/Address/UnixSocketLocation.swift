/// A concrete unix socket to bind or connect to, resolved from a `unix:` address.
public enum UnixSocketLocation: Sendable, Hashable {
    /// A filesystem socket.
    case path(String)
    /// A Linux abstract socket, named without its leading NUL.
    case abstract(String)

    /// Longest name a `sockaddr_un` holds: 108 bytes of `sun_path`, less the terminating NUL
    /// (paths) or the leading NUL (abstract names).
    public static let maxNameLength = 107
    /// Length of the random part of a `tmpdir`/`dir` socket name, as dbus-daemon uses.
    public static let randomNameLength = 10
    /// Prefix of a `tmpdir`/`dir` socket name, as dbus-daemon uses.
    public static let randomNamePrefix = "dbus-"

    /// The address a client connects to, as `--print-address` prints it:
    /// `unix:path=…,guid=…` or `unix:abstract=…,guid=…`.
    public func connectableAddress(guid: DBusGUID) -> String {
        switch self {
        case .path(let path): UnixAddress(location: .path(path), guid: guid).description
        case .abstract(let name): UnixAddress(location: .abstract(name), guid: guid).description
        }
    }

    var key: String {
        switch self {
        case .path: "path"
        case .abstract: "abstract"
        }
    }

    var name: String {
        switch self {
        case .path(let path): path
        case .abstract(let name): name
        }
    }
}

extension UnixAddress {
    /// Resolves the address to the socket a server should bind.
    ///
    /// `tmpdir` and `dir` get a new name `dbus-` + 10 random `[A-Za-z0-9]` from `generator`;
    /// `runtime` uses `runtimeDirectory` (the caller's `XDG_RUNTIME_DIR`). Passing both in
    /// keeps this function pure and testable.
    public func listeningLocation(
        runtimeDirectory: String?, using generator: inout some RandomNumberGenerator
    ) throws(AddressError) -> UnixSocketLocation {
        let resolved: UnixSocketLocation
        switch location {
        case .path(let path): resolved = .path(path)
        case .abstract(let name): resolved = .abstract(name)
        case .tmpdir(let directory), .dir(let directory):
            resolved = .path(Self.randomName(in: directory, using: &generator))
        case .runtime:
            guard let runtimeDirectory, !runtimeDirectory.isEmpty else { throw AddressError(.runtimeDirectoryUnset) }
            resolved = .path(Self.joined(runtimeDirectory, "bus"))
        }
        try Self.checkLength(resolved)
        return resolved
    }

    /// The socket a client should connect to; only `path` and `abstract` name one.
    public func connectableLocation() throws(AddressError) -> UnixSocketLocation {
        let resolved: UnixSocketLocation
        switch location {
        case .path(let path): resolved = .path(path)
        case .abstract(let name): resolved = .abstract(name)
        case .tmpdir, .dir, .runtime: throw AddressError(.notConnectable)
        }
        try Self.checkLength(resolved)
        return resolved
    }

    static func checkLength(_ location: UnixSocketLocation) throws(AddressError) {
        if location.name.utf8.count > UnixSocketLocation.maxNameLength {
            throw AddressError(.socketPathTooLong, key: location.key)
        }
    }

    static let randomAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    static func randomName(in directory: String, using generator: inout some RandomNumberGenerator) -> String {
        var name = Array(UnixSocketLocation.randomNamePrefix.utf8)
        for _ in 0..<UnixSocketLocation.randomNameLength {
            name.append(randomAlphabet.randomElement(using: &generator)!)
        }
        return joined(directory, String(decoding: name, as: UTF8.self))
    }

    static func joined(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
