/// Bus Address Resolver
import BusPlatform
import DBusWire
import Glibc

/// Finds the address of the session or system bus as the specification says, and connects
/// to the first entry of an address list that accepts.
enum BusAddressResolver {
    /// The system bus when `DBUS_SYSTEM_BUS_ADDRESS` is unset (the specification's default).
    static let defaultSystemBusAddress = "unix:path=/var/run/dbus/system_bus_socket"

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// `DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus` when that socket exists
    /// (what libdbus and sd-bus fall back to).
    static func sessionBusAddress() throws -> String {
        if let address = environment("DBUS_SESSION_BUS_ADDRESS") { return address }
        if let runtime = environment("XDG_RUNTIME_DIR"), access(runtime + "/bus", F_OK) == 0 {
            return UnixAddress(location: .path(runtime + "/bus")).description
        }
        throw ConnectionError.noAddress("DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus does not exist")
    }

    static func systemBusAddress() -> String {
        environment("DBUS_SYSTEM_BUS_ADDRESS") ?? defaultSystemBusAddress
    }

    /// Connects to the entries of `address` in order; returns the first socket that
    /// connects, and sets `guid` to the GUID its entry named.
    static func connect(_ address: String, guid: inout DBusGUID?) throws -> UnixSocket {
        let entries: [DBusAddress]
        do { entries = try DBusAddress.parseList(address) } catch { throw ConnectionError.invalidAddress(address, error) }
        var failures: [String] = []
        for entry in entries {
            do {
                let unix = try UnixAddress(entry)
                let target: UnixSocketAddress =
                    switch try unix.connectableLocation() {
                    case .path(let path): .path(path)
                    case .abstract(let name): .abstract(name)
                    }
                let socket = try UnixSocket.connect(to: target)
                guid = unix.guid
                return socket
            } catch {
                failures.append("\(entry): \(error)")
            }
        }
        throw ConnectionError.connectFailed(failures)
    }
}
