// Listen Error
//
// Why the broker could not listen where it was told to.
import BusPlatform
import DBusWire

/// A listen address that could not be used, with the address as written so the config
/// file or command line can be fixed.
public enum ListenError: Error, CustomStringConvertible {
    case badAddress(String, AddressError)
    case unsupportedTransport(String)
    case socket(String, SocketError)
    case watch(String, Errno)
    case activation(SocketActivationError)
    case noInheritedListeners

    public var description: String {
        switch self {
        case .badAddress(let address, let error): "cannot listen on \"\(address)\": \(error)"
        case .unsupportedTransport(let address): "cannot listen on \"\(address)\": only unix: addresses are supported"
        case .socket(let address, let error): "cannot listen on \"\(address)\": \(error)"
        case .watch(let address, let error): "cannot watch the listener for \"\(address)\": \(error)"
        case .activation(let error): "socket activation: \(error)"
        case .noInheritedListeners: "--systemd-activation: no listening sockets were passed (LISTEN_FDS)"
        }
    }
}
