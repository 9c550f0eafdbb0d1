/// Introspection XML
import DBusWire

/// Writes the `Introspect` answer for one path: its interfaces (the standard ones first,
/// as GDBus and sd-bus list them) and its direct children.
enum IntrospectionXML {
    static let doctype = """
        <!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
        """

    static func document(interfaces: [ExportedInterface], children: [String]) -> String {
        var xml = doctype + "\n<node>\n"
        for interface in interfaces { xml += describe(interface) }
        for child in children { xml += " <node name=\"\(escape(child))\"/>\n" }
        return xml + "</node>\n"
    }

    static func describe(_ interface: ExportedInterface) -> String {
        var xml = " <interface name=\"\(interface.name)\">\n"
        for method in interface.methods.values.sorted(by: { $0.name < $1.name }) {
            xml += "  <method name=\"\(method.name)\">\n"
            xml += arguments(method.inputTypes, names: method.argumentNames, direction: "in")
            xml += arguments(method.outputTypes, names: method.resultNames, direction: "out")
            xml += "  </method>\n"
        }
        for signal in interface.signals {
            xml += "  <signal name=\"\(signal.name)\">\n"
            xml += arguments(signal.types, names: signal.argumentNames, direction: nil)
            xml += "  </signal>\n"
        }
        for property in interface.properties.values.sorted(by: { $0.name < $1.name }) {
            xml += "  <property name=\"\(property.name)\" type=\"\(property.type.signatureString)\" access=\"\(property.access.rawValue)\""
            if property.emitsChangedSignal {
                xml += "/>\n"
            } else {
                xml += ">\n   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"false\"/>\n  </property>\n"
            }
        }
        return xml + " </interface>\n"
    }

    static func arguments(_ types: [SignatureType], names: [String], direction: String?) -> String {
        var xml = ""
        for (index, type) in types.enumerated() {
            xml += "   <arg"
            if index < names.count { xml += " name=\"\(escape(names[index]))\"" }
            xml += " type=\"\(escape(type.signatureString))\""
            if let direction { xml += " direction=\"\(direction)\"" }
            xml += "/>\n"
        }
        return xml
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The standard interfaces every object answers, for its introspection data.
    static let standardInterfaces: [ExportedInterface] = {
        var peer = InterfaceImplementation(PeerInterface.self)
        peer.method(PeerInterface.ping) {}
        peer.method(PeerInterface.getMachineId) { "" }
        var introspectable = InterfaceImplementation(IntrospectableInterface.self)
        introspectable.method(IntrospectableInterface.introspect) { "" }
        var properties = InterfaceImplementation(PropertiesInterface.self)
        properties.method(PropertiesInterface.get) { _, _ in Variant(.byte(0)) }
        properties.method(PropertiesInterface.set) { _, _, _ in }
        properties.method(PropertiesInterface.getAll) { _ in [:] }
        properties.signal(PropertiesInterface.propertiesChanged)
        return [peer.exported, introspectable.exported, properties.exported]
    }()

    static let objectManager: ExportedInterface = {
        var manager = InterfaceImplementation(ObjectManagerInterface.self)
        manager.method(ObjectManagerInterface.getManagedObjects) { [:] }
        manager.signal(ObjectManagerInterface.interfacesAdded)
        manager.signal(ObjectManagerInterface.interfacesRemoved)
        return manager.exported
    }()
}
