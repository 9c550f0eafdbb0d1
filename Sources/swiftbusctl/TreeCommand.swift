/// Tree Command: every object a service exports.
import ArgumentParser
import SwiftBus
import SwiftBusCodegen

/// `swiftbusctl tree DEST`: walks `Introspect` from `/` and prints every object path, one
/// per line (busctl's `tree --list`).
struct TreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tree", abstract: "List the object paths of a service.")

    /// How many objects the walk visits before it stops: a service could describe endless children.
    static let maximumObjects = 100_000

    @OptionGroup var bus: BusOptions
    @Argument var destination: String

    func run() async throws {
        let connection = try await bus.connect()
        var pending: [ObjectPath] = [.root]
        var found: [ObjectPath] = []
        while let path = pending.popLast(), found.count < Self.maximumObjects {
            found.append(path)
            let xml: String
            do {
                xml = try await connection.call(
                    destination: destination, path: path, interface: "org.freedesktop.DBus.Introspectable", member: "Introspect",
                    returning: String.self)
            } catch let error as DBusError where path != .root {
                _ = error  // A child that cannot be introspected is still listed, as busctl does.
                continue
            }
            guard let node = try? IntrospectionParser.parse(xml) else { continue }
            for child in node.children {
                if let name = child.name, let childPath = try? path.appending(name) { pending.append(childPath) }
            }
        }
        output(found.sorted().map(\.rawValue).joined(separator: "\n"))
    }
}
