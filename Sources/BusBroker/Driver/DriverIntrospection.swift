// Driver Introspection
//
// The XML `org.freedesktop.DBus.Introspectable.Introspect` returns for the bus driver.

/// dbus-daemon 1.14.10's introspection data for the driver, without the interfaces we do
/// not implement (`Debug.Stats`) and the `ActivatableServicesChanged` signal we never send.
/// `Properties` and `Monitoring` are listed only at `/org/freedesktop/DBus`, as dbus-daemon
/// answers them only there.
enum DriverIntrospection {
    static func xml(atCanonicalPath: Bool) -> String {
        header + busInterface + (atCanonicalPath ? propertiesInterface : "") + introspectableInterface
            + (atCanonicalPath ? monitoringInterface : "") + peerInterface + "</node>\n"
    }

    private static let header = """
        <!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
        "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
        <node>

        """

    private static func method(_ name: String, in inputs: [String] = [], out outputs: [String] = []) -> String {
        var text = "    <method name=\"\(name)\">\n"
        for type in inputs { text += "      <arg direction=\"in\" type=\"\(type)\"/>\n" }
        for type in outputs { text += "      <arg direction=\"out\" type=\"\(type)\"/>\n" }
        return text + "    </method>\n"
    }

    private static func property(_ name: String) -> String {
        """
            <property name="\(name)" type="as" access="read">
              <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
            </property>

        """
    }

    private static func signal(_ name: String, arguments: Int) -> String {
        "    <signal name=\"\(name)\">\n" + String(repeating: "      <arg type=\"s\"/>\n", count: arguments) + "    </signal>\n"
    }

    private static let busInterface = "  <interface name=\"org.freedesktop.DBus\">\n"
        + method("Hello", out: ["s"]) + method("RequestName", in: ["s", "u"], out: ["u"])
        + method("ReleaseName", in: ["s"], out: ["u"]) + method("StartServiceByName", in: ["s", "u"], out: ["u"])
        + method("UpdateActivationEnvironment", in: ["a{ss}"]) + method("NameHasOwner", in: ["s"], out: ["b"])
        + method("ListNames", out: ["as"]) + method("ListActivatableNames", out: ["as"])
        + method("AddMatch", in: ["s"]) + method("RemoveMatch", in: ["s"])
        + method("GetNameOwner", in: ["s"], out: ["s"]) + method("ListQueuedOwners", in: ["s"], out: ["as"])
        + method("GetConnectionUnixUser", in: ["s"], out: ["u"]) + method("GetConnectionUnixProcessID", in: ["s"], out: ["u"])
        + method("GetAdtAuditSessionData", in: ["s"], out: ["ay"])
        + method("GetConnectionSELinuxSecurityContext", in: ["s"], out: ["ay"])
        + method("ReloadConfig") + method("GetId", out: ["s"])
        + method("GetConnectionCredentials", in: ["s"], out: ["a{sv}"])
        + property("Features") + property("Interfaces")
        + signal("NameOwnerChanged", arguments: 3) + signal("NameLost", arguments: 1) + signal("NameAcquired", arguments: 1)
        + "  </interface>\n"

    private static let propertiesInterface = """
          <interface name="org.freedesktop.DBus.Properties">
            <method name="Get">
              <arg direction="in" type="s"/>
              <arg direction="in" type="s"/>
              <arg direction="out" type="v"/>
            </method>
            <method name="GetAll">
              <arg direction="in" type="s"/>
              <arg direction="out" type="a{sv}"/>
            </method>
            <method name="Set">
              <arg direction="in" type="s"/>
              <arg direction="in" type="s"/>
              <arg direction="in" type="v"/>
            </method>
            <signal name="PropertiesChanged">
              <arg type="s" name="interface_name"/>
              <arg type="a{sv}" name="changed_properties"/>
              <arg type="as" name="invalidated_properties"/>
            </signal>
          </interface>

        """

    private static let introspectableInterface = "  <interface name=\"org.freedesktop.DBus.Introspectable\">\n"
        + method("Introspect", out: ["s"]) + "  </interface>\n"

    private static let monitoringInterface = "  <interface name=\"org.freedesktop.DBus.Monitoring\">\n"
        + method("BecomeMonitor", in: ["as", "u"]) + "  </interface>\n"

    private static let peerInterface = "  <interface name=\"org.freedesktop.DBus.Peer\">\n"
        + method("GetMachineId", out: ["s"]) + method("Ping") + "  </interface>\n"
}
