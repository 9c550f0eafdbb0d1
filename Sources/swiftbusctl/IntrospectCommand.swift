/// Introspect Command: an object's interfaces and members as a table.
import ArgumentParser
import SwiftBus
import SwiftBusCodegen

/// `swiftbusctl introspect DEST PATH [IFACE]`: busctl's table NAME TYPE SIGNATURE
/// RESULT/VALUE FLAGS, with current property values read by `GetAll`.
struct IntrospectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "introspect", abstract: "Show an object's interfaces and members.")

    @OptionGroup var bus: BusOptions
    @Flag(help: "Print the XML as the object returned it.") var xmlInterface = false
    @Argument var destination: String
    @Argument var path: String
    @Argument(help: "Only this interface.") var interface: String?

    func run() async throws {
        let objectPath = try validatedPath(path)
        let connection = try await bus.connect()
        let xml: String = try await connection.call(
            destination: destination, path: objectPath, interface: "org.freedesktop.DBus.Introspectable", member: "Introspect",
            returning: String.self)
        if xmlInterface {
            output(xml)
            return
        }
        let node: IntrospectedNode
        do { node = try IntrospectionParser.parse(xml) } catch { throw BusctlError.callFailed("invalid introspection data: \(error)") }
        var rows: [[String]] = [["NAME", "TYPE", "SIGNATURE", "RESULT/VALUE", "FLAGS"]]
        for described in node.interfaces.sorted(by: { $0.name < $1.name }) where interface == nil || described.name == interface {
            let values = (try? await connection.call(
                destination: destination, path: objectPath, interface: PropertiesInterface.name, member: "GetAll",
                described.name, returning: [String: Variant].self)) ?? [:]
            rows.append([described.name, "interface", "-", "-", "-"])
            rows += Self.memberRows(described, values: values)
        }
        var lines = Table.render(rows).split(separator: "\n", omittingEmptySubsequences: false)
        // busctl leaves out the interface row when asked for one interface, but sizes the
        // columns with it.
        if interface != nil, lines.count > 1 { lines.remove(at: 1) }
        output(lines.joined(separator: "\n"))
    }

    /// Members sorted as busctl sorts them: methods, then properties, then signals, each by name.
    static func memberRows(_ interface: IntrospectedInterface, values: [String: Variant]) -> [[String]] {
        var rows: [[String]] = []
        for method in interface.methods.sorted(by: { $0.name < $1.name }) {
            var flags: [String] = []
            if method.isDeprecated { flags.append("deprecated") }
            if method.noReply { flags.append("no-reply") }
            rows.append([
                "." + method.name, "method", types(method.inputs), types(method.outputs), flags.isEmpty ? "-" : flags.joined(separator: " "),
            ])
        }
        for property in interface.properties.sorted(by: { $0.name < $1.name }) {
            let value = values[property.name].map { BusctlValueFormatter.words($0.value).joined(separator: " ") } ?? "-"
            // In the order busctl prints sd-bus's vtable flags.
            var flags: [String] = []
            if property.isDeprecated { flags.append("deprecated") }
            switch property.changeAnnotation {
            case "const": flags.append("const")
            case "invalidates": flags.append("emits-invalidation")
            case "false": break
            default: flags.append("emits-change")
            }
            if property.access != "read" { flags.append("writable") }
            rows.append(["." + property.name, "property", property.type, value, flags.isEmpty ? "-" : flags.joined(separator: " ")])
        }
        for signal in interface.signals.sorted(by: { $0.name < $1.name }) {
            rows.append(["." + signal.name, "signal", types(signal.arguments), "-", signal.isDeprecated ? "deprecated" : "-"])
        }
        return rows
    }

    private static func types(_ arguments: [IntrospectedArgument]) -> String {
        arguments.isEmpty ? "-" : arguments.map(\.type).joined()
    }
}
