/// Connection
import BusPlatform
import DBusWire

/// A connection to a message bus: the entry point of SwiftBus.
///
/// Connect with `session()`, `system()` or `connect(to:)`; the connection authenticates
/// with SASL EXTERNAL (asking for unix fd passing), says Hello and knows its unique name
/// before it is returned. The SASL lines and Hello leave in one write.
///
/// Threading contract (as sd-bus's, with the loop hidden): the socket is served by a
/// dedicated I/O thread running an epoll loop; it never runs user code. Replies resume the
/// awaiting task, signals are yielded to streams, and each incoming method call runs its
/// handler in a new task. Every method here is safe to call from any task or thread.
///
/// On disconnect — `close()`, the bus going away, or an I/O error — every pending call
/// fails with `ConnectionError.disconnected`, every signal stream finishes, and every later
/// call throws `.disconnected` at once. Dropping the last reference closes the connection.
public final class Connection: Sendable {
    let core: ConnectionCore
    /// The unique name the bus gave this connection, e.g. `:1.42`.
    public let uniqueName: String
    /// The objects this connection exports.
    let server: ObjectServer

    /// Timeout used when a call names none: libdbus's default, 25 s.
    public static let defaultTimeout: Duration = .seconds(25)

    private init(core: ConnectionCore, uniqueName: String) {
        self.core = core
        self.uniqueName = uniqueName
        self.server = ObjectServer(core: core)
        server.install()
    }

    deinit { core.requestClose() }

    /// Connects to the session bus: `DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`.
    public static func session(options: ConnectionOptions = .default) async throws -> Connection {
        try await connect(to: BusAddressResolver.sessionBusAddress(), options: options)
    }

    /// Connects to the system bus: `DBUS_SYSTEM_BUS_ADDRESS`, else `/var/run/dbus/system_bus_socket`.
    public static func system(options: ConnectionOptions = .default) async throws -> Connection {
        try await connect(to: BusAddressResolver.systemBusAddress(), options: options)
    }

    /// Connects to `address` (entries separated by `;` are tried in order), authenticates
    /// and says Hello. `options` decide whether the kdbus transport is offered (by default it is).
    public static func connect(to address: String, options: ConnectionOptions = .default) async throws -> Connection {
        var guid: DBusGUID?
        let socket = try BusAddressResolver.connect(address, guid: &guid)
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw ConnectionError.connectFailed(["event loop: \(error)"]) }
        let core = ConnectionCore(waker: loop.waker)
        let offer = options.offer
        let sasl = SASLClient(credential: .socket, negotiateUnixFDs: true, extensionCommand: offer?.commandLine, expectedGUID: guid)
        IOThread.start(loop: loop, io: ConnectionIO(core: core, loop: loop, socket: socket, sasl: sasl, offer: offer))
        let hello = Message.methodCall(
            path: BusDriver.path.rawValue, interface: BusDriver.interfaceName, member: "Hello", destination: BusDriver.busName)
        do {
            let reply = try await core.call(hello, fileDescriptors: [], timeout: defaultTimeout)
            let name: String = try reply.arguments(as: String.self)
            return Connection(core: core, uniqueName: name)
        } catch ConnectionError.disconnected(let reason) where reason.hasPrefix("authentication failed") {
            throw ConnectionError.authenticationFailed(reason)
        } catch {
            core.requestClose()
            throw error
        }
    }

    /// Whether the connection is still up.
    public var isConnected: Bool { core.isConnected }

    /// Whether the bus agreed to pass file descriptors on this connection.
    public var canPassFileDescriptors: Bool { core.state.withLock { $0.unixFDsAgreed } }

    /// The transport the bus agreed to: `.kdbus` on swiftbusd (unless `.classicOnly` was
    /// asked for), `.classic` on any other bus.
    public var transport: ConnectionTransport { core.state.withLock { $0.transport } }

    /// How many broadcasts the bus dropped for this connection because its receive pool was
    /// full (kdbus transport only; always 0 on a classic connection).
    public var broadcastsLost: UInt64 { core.state.withLock { $0.broadcastsLost } }

    /// Each loss report as it arrives; the stream ends with the connection. Reports made
    /// before the stream was created are in `broadcastsLost` only.
    public func broadcastLosses() -> AsyncStream<BroadcastLoss> { core.broadcastLosses() }

    /// Sends what is queued, then closes. Pending calls fail with `.disconnected`.
    public func close() { core.requestClose() }

    /// Waits until the connection is down, e.g. after the bus went away.
    public func waitUntilDisconnected() async {
        await core.waitUntilDisconnected()
    }

    /// Why the connection ended (closed by us, by the bus, an I/O error); nil while it is up.
    public var disconnectReason: String? { core.disconnectReason }
}
