/// Property Commands: read and write properties.
import ArgumentParser
import SwiftBus

/// `swiftbusctl get-property DEST PATH IFACE PROPERTY…`: each value as `signature value…`.
struct GetPropertyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get-property", abstract: "Print property values.")

    @OptionGroup var bus: BusOptions
    @Argument var destination: String
    @Argument var path: String
    @Argument var interface: String
    @Flag(help: "Print each value as JSON, as busctl --json=short does.") var json = false
    @Argument(help: "One or more property names.") var properties: [String]

    func run() async throws {
        let objectPath = try validatedPath(path)
        let connection = try await bus.connect()
        for property in properties {
            let variant = try await connection.call(
                destination: destination, path: objectPath, interface: PropertiesInterface.name, member: "Get",
                interface, property, returning: Variant.self)
            output(json
                ? JSON.object([("type", JSON.string(variant.type.signatureString)), ("data", JSON.value(variant.value))])
                : BusctlValueFormatter.line([variant.value]))
        }
    }
}

/// `swiftbusctl set-property DEST PATH IFACE PROPERTY SIGNATURE VALUE…`.
struct SetPropertyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-property", abstract: "Set a property.")

    @OptionGroup var bus: BusOptions
    @Argument var destination: String
    @Argument var path: String
    @Argument var interface: String
    @Argument var property: String
    @Argument(help: "The signature of the value: one complete type.") var signature: String
    @Argument(parsing: .allUnrecognized, help: "The value, in busctl's syntax.") var value: [String] = []

    func run() async throws {
        let values = try BusctlArgumentParser.parse(signature: signature, words: value)
        guard values.count == 1 else { throw BusctlError.invalidSignature(signature, "a property has exactly one complete type") }
        let objectPath = try validatedPath(path)
        let connection = try await bus.connect()
        try await connection.call(
            destination: destination, path: objectPath, interface: PropertiesInterface.name, member: "Set",
            interface, property, Variant(values[0]), returning: Void.self)
    }
}
