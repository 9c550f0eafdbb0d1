/// Standard Interfaces: Properties, Introspectable, Peer and ObjectManager, as declarations.
import DBusWire

/// `org.freedesktop.DBus.Properties`.
public enum PropertiesInterface: DBusInterface {
    public static let name = "org.freedesktop.DBus.Properties"
    public static let get = method("Get", (String, String).self, returns: Variant.self,
                                   argumentNames: ["interface_name", "property_name"], resultNames: ["value"])
    public static let set = method("Set", (String, String, Variant).self, returns: Void.self,
                                   argumentNames: ["interface_name", "property_name", "value"])
    public static let getAll = method("GetAll", String.self, returns: [String: Variant].self,
                                      argumentNames: ["interface_name"], resultNames: ["properties"])
    public static let propertiesChanged = signal(
        "PropertiesChanged", (String, [String: Variant], [String]).self,
        argumentNames: ["interface_name", "changed_properties", "invalidated_properties"])
}

/// `org.freedesktop.DBus.Introspectable`.
public enum IntrospectableInterface: DBusInterface {
    public static let name = "org.freedesktop.DBus.Introspectable"
    public static let introspect = method("Introspect", Void.self, returns: String.self, resultNames: ["xml_data"])
}

/// `org.freedesktop.DBus.Peer`.
public enum PeerInterface: DBusInterface {
    public static let name = "org.freedesktop.DBus.Peer"
    public static let ping = method("Ping", Void.self, returns: Void.self)
    public static let getMachineId = method("GetMachineId", Void.self, returns: String.self, resultNames: ["machine_uuid"])
}

/// `org.freedesktop.DBus.ObjectManager`.
public enum ObjectManagerInterface: DBusInterface {
    public static let name = "org.freedesktop.DBus.ObjectManager"
    public static let getManagedObjects = method(
        "GetManagedObjects", Void.self, returns: [ObjectPath: [String: [String: Variant]]].self,
        resultNames: ["object_paths_interfaces_and_properties"])
    public static let interfacesAdded = signal(
        "InterfacesAdded", (ObjectPath, [String: [String: Variant]]).self,
        argumentNames: ["object_path", "interfaces_and_properties"])
    public static let interfacesRemoved = signal(
        "InterfacesRemoved", (ObjectPath, [String]).self, argumentNames: ["object_path", "interfaces"])
}
