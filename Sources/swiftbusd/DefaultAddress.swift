// Default Address
//
// Where swiftbusd listens when started with no options at all.
#if canImport(Glibc)
import Glibc
#endif
import BusBroker
import BusPlatform

/// With no arguments swiftbusd is a session bus. It takes `$XDG_RUNTIME_DIR/bus` (where
/// sd-bus, GDBus and libdbus look first) when that directory exists and nothing answers
/// on the socket there; otherwise a fresh `unix:tmpdir=/tmp` socket, as the built-in
/// session configuration says. Either way the address is printed.
enum DefaultAddress {
    static func choose() -> String? {
        guard let runtime = Broker.environment("XDG_RUNTIME_DIR"), !runtime.isEmpty, isDirectory(runtime) else { return nil }
        let path = runtime.hasSuffix("/") ? runtime + "bus" : runtime + "/bus"
        if (try? UnixSocket.connect(to: .path(path))) != nil { return nil }
        return "unix:path=" + path
    }

    private static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }
}
