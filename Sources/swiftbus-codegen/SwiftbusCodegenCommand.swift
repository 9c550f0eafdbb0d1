/// swiftbus-codegen: introspection XML → Swift proxies and server protocols.
import ArgumentParser
import Foundation
import SwiftBusCodegen

/// The command line of the code generator: read one XML file, write Swift.
@main
struct SwiftbusCodegenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftbus-codegen",
        abstract: "Generate SwiftBus interface declarations, typed proxies and server protocols from D-Bus introspection XML.")

    @Argument(help: "The introspection XML file ('-' for standard input).")
    var file: String

    @Option(name: .shortAndLong, help: "Write the Swift here instead of standard output.")
    var output: String?

    @Option(help: "Remove this prefix from interface names before they become Swift type names, e.g. 'org.freedesktop.'.")
    var interfacePrefix: String = ""

    @Flag(help: "Generate internal rather than public declarations.")
    var `internal` = false

    func run() throws {
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CodegenFailure("cannot read \(file): \(error.localizedDescription)")
        }
        let xml = String(decoding: data, as: UTF8.self)
        let source: String
        do {
            let node = try IntrospectionParser.parse(xml)
            let options = SwiftGenerator.Options(
                interfacePrefix: interfacePrefix, isPublic: !`internal`, sourceName: (file as NSString).lastPathComponent)
            source = try SwiftGenerator(options: options).generate(node)
        } catch {
            throw CodegenFailure("\(file): \(error)")
        }
        if let output {
            do { try Data(source.utf8).write(to: URL(fileURLWithPath: output)) } catch {
                throw CodegenFailure("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(source.utf8))
        }
    }
}

/// A failure after the command line was read: printed as one line, without the usage text
/// that `ValidationError` would add.
struct CodegenFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
