// Driver Properties
//
// `org.freedesktop.DBus.Properties` on the driver: the read-only `Features` and
// `Interfaces`.
import DBusWire

extension Broker {
    /// `HeaderFiltering`: the bus drops header fields it does not know (we do).
    static let features = ["HeaderFiltering"]
    /// Optional interfaces the driver implements besides the core ones.
    static let optionalInterfaces = [monitoringInterface]

    func propertiesMethod(_ call: DriverCall) throws(DriverError) -> DriverAnswer {
        switch call.member {
        case "Get":
            try expect(call, "ss")
            try checkInterface(stringArgument(call, 0))
            return DriverAnswer(body: [.variant(try property(stringArgument(call, 1)))])
        case "GetAll":
            try expect(call, "s")
            try checkInterface(stringArgument(call, 0))
            let entries = ["Features", "Interfaces"].map { name in
                DBusDictEntry(key: .string(name), value: .variant(Self.strings(name == "Features" ? Self.features : Self.optionalInterfaces)))
            }
            return DriverAnswer(body: [.dictionary(key: .string, value: .variant, entries)])
        case "Set":
            try expect(call, "ssv")
            try checkInterface(stringArgument(call, 0))
            let name = stringArgument(call, 1)
            _ = try property(name)
            throw DriverError(name: "org.freedesktop.DBus.Error.PropertyReadOnly",
                              message: "Property 'org.freedesktop.DBus.\(name)' cannot be set")
        default:
            throw .unknownMethod(call.member)
        }
    }

    private func checkInterface(_ name: String) throws(DriverError) {
        guard name == Broker.busInterface else {
            throw DriverError(name: "org.freedesktop.DBus.Error.UnknownInterface", message: "Interface \"\(name)\" not found")
        }
    }

    private func property(_ name: String) throws(DriverError) -> DBusValue {
        switch name {
        case "Features": return Self.strings(Self.features)
        case "Interfaces": return Self.strings(Self.optionalInterfaces)
        default:
            throw DriverError(name: "org.freedesktop.DBus.Error.UnknownProperty",
                              message: "Property \"org.freedesktop.DBus.\(name)\" not found")
        }
    }

    static func strings(_ values: [String]) -> DBusValue {
        .array(element: .string, values.map { .string($0) })
    }
}
