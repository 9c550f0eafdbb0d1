// swiftbusd: the broker executable. The broker itself is not built yet; this entry point
// says so rather than pretending to serve a bus.
import DBusWire

print("swiftbusd: the wire core (DBusWire) is built; the broker is not built yet.")
