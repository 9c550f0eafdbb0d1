// Listening
//
// Turns listen addresses (or inherited sockets) into listeners.
import BusPlatform
import DBusWire
import Glibc

extension Broker {
    /// Binds every entry of `address` (a `;`-separated list) and returns the addresses
    /// clients connect to, with this bus's guid, in order.
    public func listen(address: String) throws(ListenError) -> [String] {
        let entries: [DBusAddress]
        do throws(AddressError) {
            entries = try DBusAddress.parseList(address)
        } catch {
            throw .badAddress(address, error)
        }
        var connectable: [String] = []
        var random = SystemRandomNumberGenerator()
        for entry in entries {
            let text = entry.description
            guard entry.transport == "unix" else { throw .unsupportedTransport(text) }
            let location: UnixSocketLocation
            do throws(AddressError) {
                let unix = try UnixAddress(entry)
                location = try unix.listeningLocation(runtimeDirectory: Broker.environment("XDG_RUNTIME_DIR"), using: &random)
            } catch {
                throw .badAddress(text, error)
            }
            let socketAddress: UnixSocketAddress
            var path: String?
            switch location {
            case .path(let value):
                socketAddress = .path(value)
                path = value
            case .abstract(let name): socketAddress = .abstract(name)
            }
            let socket: UnixSocket
            do throws(SocketError) {
                socket = try UnixSocket.listen(at: socketAddress, replacingStaleSocket: true)
            } catch {
                throw .socket(text, error)
            }
            do throws(Errno) {
                try listen(on: socket, removingAtShutdown: path)
            } catch {
                throw .watch(text, error)
            }
            connectable.append(location.connectableAddress(guid: guid))
        }
        return connectable
    }

    /// Adopts the listeners passed by socket activation (`LISTEN_FDS`); returns how many.
    public func listenOnInheritedSockets() throws(ListenError) -> Int {
        var inherited: DescriptorList
        do throws(SocketActivationError) {
            inherited = try SocketActivation.takeInheritedListeners()
        } catch {
            throw .activation(error)
        }
        let count = inherited.count
        if count == 0 { throw .noInheritedListeners }
        for index in 0..<count {
            guard let descriptor = inherited.take(at: index) else { continue }
            do throws(Errno) {
                try listen(on: UnixSocket(adopting: descriptor), removingAtShutdown: nil)
            } catch {
                throw .watch("inherited fd", error)
            }
        }
        return count
    }

    /// The value of an environment variable, or nil.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The driver's introspection XML, for `--introspect`.
    public static var introspectionXML: String { DriverIntrospection.xml(atCanonicalPath: true) }
}
