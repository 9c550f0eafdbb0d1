/// Connection Credentials
import DBusWire

/// Who is behind a bus name, as the bus vouches for it (`GetConnectionCredentials`, the
/// call sd-bus builds its credentials on). Fields the bus did not report are nil.
public struct ConnectionCredentials: Sendable, Hashable {
    public var userID: UInt32?
    public var processID: UInt32?
    public var groupIDs: [UInt32]?
    /// The LSM label (e.g. SELinux context), without a trailing NUL.
    public var securityLabel: [UInt8]?
    /// Every item as the bus sent it, including ones not decoded above (e.g. `ProcessFD`).
    public var all: [String: Variant]

    init(_ items: [String: Variant]) {
        all = items
        userID = try? items["UnixUserID"]?.get(UInt32.self)
        processID = try? items["ProcessID"]?.get(UInt32.self)
        groupIDs = try? items["UnixGroupIDs"]?.get([UInt32].self)
        securityLabel = (try? items["LinuxSecurityLabel"]?.get([UInt8].self)).map { label in
            label.last == 0 ? Array(label.dropLast()) : label
        }
    }
}

extension BusDriver {
    /// The credentials of the connection that owns `name`, typed.
    public func credentials(of name: String) async throws -> ConnectionCredentials {
        ConnectionCredentials(try await getConnectionCredentials(name))
    }
}

extension MethodContext {
    /// The caller's credentials, asked of the bus (one round trip).
    public func senderCredentials(on connection: Connection) async throws -> ConnectionCredentials {
        guard let sender else { throw DBusError(name: DBusError.failed, message: "the call carries no sender") }
        return try await connection.bus.credentials(of: sender)
    }
}
