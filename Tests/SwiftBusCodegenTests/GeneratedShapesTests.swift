// Generated Shapes Tests: code generated from a hand-written XML with structs, nested
// containers, keywords and every property access, served and called over dbus-daemon.
import Foundation
import SwiftBus
import SwiftBusCodegen
import Synchronization
import Testing

/// A `ShapesServer` whose state tests can read.
final class ShapesObject: ShapesServer {
    let state = Mutex((name: "square", secret: ""))

    func move(_ from: Shapes.MoveFrom, _ by: Int32) async throws -> Shapes.MoveFrom {
        Shapes.MoveFrom(from.field0 + by, from.field1 + by)
    }

    func describe(_ shapes: [Shapes.DescribeShapesElement]) async throws -> (UInt32, [String]) {
        (UInt32(shapes.count), shapes.map { "\($0.field0):\($0.field1.keys.sorted().joined(separator: ","))" })
    }

    func `default`(_ `in`: String) async throws -> String { `in`.uppercased() }

    var name: String { get async throws { state.withLock { $0.name } } }
    func setName(_ value: String) async throws { state.withLock { $0.name = value } }
    func setSecret(_ value: String) async throws { state.withLock { $0.secret = value } }
    var origin: Shapes.OriginValue { get async throws { Shapes.OriginValue(0.5, -2) } }
}

@Suite struct GeneratedShapesTests {
    @Test func committedShapesCodeIsCurrent() throws {
        let xml = try String(contentsOfFile: Paths.fixtures + "/org.example.Shapes.xml", encoding: .utf8)
        let options = SwiftGenerator.Options(interfacePrefix: "org.example.", isPublic: false, sourceName: "org.example.Shapes.xml")
        let source = try SwiftGenerator(options: options).generate(IntrospectionParser.parse(xml))
        let committed = try String(contentsOfFile: Paths.packageRoot + "/Tests/SwiftBusCodegenTests/Generated/Shapes.swift", encoding: .utf8)
        #expect(source == committed)
    }

    @Test func servedAndCalledThroughGeneratedCode() async throws {
        let server = try await Connection.connect(to: ReferenceBus.shared.address)
        let client = try await Connection.connect(to: ReferenceBus.shared.address)
        defer { server.close(); client.close() }
        let object = ShapesObject()
        server.export(object.implementation(), at: "/shapes")
        let shapes = Proxy<Shapes>(connection: client, destination: server.uniqueName, path: "/shapes")

        let moved = try await shapes.move(Shapes.MoveFrom(1, 2), 10)
        #expect(moved.field0 == 11 && moved.field1 == 12)
        let (count, names) = try await shapes.describe([
            Shapes.DescribeShapesElement("a", ["x": try Variant(Int32(1)), "y": try Variant("z")]),
            Shapes.DescribeShapesElement("b", [:]),
        ])
        #expect(count == 2 && names == ["a:x,y", "b:"])
        #expect(try await shapes.default("hi") == "HI")
        #expect(try await shapes.name == "square")
        try await shapes.setName("circle")
        #expect(try await shapes.name == "circle")
        try await shapes.setSecret("s3cret")
        #expect(object.state.withLock { $0.secret } == "s3cret")
        let origin = try await shapes.origin
        #expect(origin.field0 == 0.5 && origin.field1 == -2)
        await #expect(throws: DBusError.self) { _ = try await client.call(
            destination: server.uniqueName, path: "/shapes", interface: PropertiesInterface.name, member: "Get",
            "org.example.Shapes", "Origin2", returning: Variant.self) }
    }

    @Test func generatedSignalStreamHearsEmit() async throws {
        let server = try await Connection.connect(to: ReferenceBus.shared.address)
        let client = try await Connection.connect(to: ReferenceBus.shared.address)
        defer { server.close(); client.close() }
        let shapes = Proxy<Shapes>(connection: client, destination: server.uniqueName, path: "/shapes")
        let stream = try await shapes.movedSignals()
        try server.emit(Shapes.moved, from: "/shapes", Shapes.MoveFrom(3, 4), 99)
        var iterator = stream.makeAsyncIterator()
        let received = try #require(await iterator.next())
        #expect(received.0.field0 == 3 && received.0.field1 == 4 && received.1 == 99)
    }

    @Test func introspectionOfServedObjectMatchesTheXML() async throws {
        let server = try await Connection.connect(to: ReferenceBus.shared.address)
        defer { server.close() }
        server.export(ShapesObject().implementation(), at: "/shapes")
        let client = try await Connection.connect(to: ReferenceBus.shared.address)
        defer { client.close() }
        let xml: String = try await client.call(
            destination: server.uniqueName, path: "/shapes", interface: "org.freedesktop.DBus.Introspectable", member: "Introspect",
            returning: String.self)
        let served = try #require(IntrospectionParser.parse(xml).interfaces.first { $0.name == "org.example.Shapes" })
        let original = try #require(IntrospectionParser.parse(
            String(contentsOfFile: Paths.fixtures + "/org.example.Shapes.xml", encoding: .utf8)).interfaces.first)
        #expect(served.methods.map(\.name).sorted() == original.methods.map(\.name).sorted())
        #expect(served.methods.flatMap { $0.arguments.map(\.type) }.sorted() == original.methods.flatMap { $0.arguments.map(\.type) }.sorted())
        #expect(served.properties.map(\.type).sorted() == original.properties.map(\.type).sorted())
        #expect(served.properties.map(\.access).sorted() == original.properties.map(\.access).sorted())
        #expect(served.signals.map(\.name) == original.signals.map(\.name))
    }
}
