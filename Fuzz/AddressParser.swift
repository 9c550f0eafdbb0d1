// Fuzz target: the D-Bus address parser. Whatever parses must serialise and parse back to
// the same entries, and a valid unix view must survive the same round trip.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAddressParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let entries = try? DBusAddress.parseList(text) else { return 0 }
    precondition(!entries.isEmpty)
    let serialized = DBusAddress.serialize(entries)
    guard let again = try? DBusAddress.parseList(serialized) else {
        preconditionFailure("serialized form does not parse: \(serialized)")
    }
    precondition(again == entries, "round trip changed the address: \(text) -> \(serialized)")
    for entry in entries {
        guard let unix = try? UnixAddress(entry) else { continue }
        precondition((try? UnixAddress(parsing: unix.description)) == unix, "unix round trip failed: \(unix)")
        var generator = SystemRandomNumberGenerator()
        _ = try? unix.listeningLocation(runtimeDirectory: "/run/user/1000", using: &generator)
    }
    return 0
}
