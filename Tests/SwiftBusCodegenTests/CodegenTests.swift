// Codegen Tests: names, parsing, and generated code that compiles and calls a real bus.
import Foundation
import SwiftBus
import SwiftBusCodegen
import Testing

@Suite struct SwiftNamesTests {
    @Test(arguments: [
        ("GetNameOwner", "getNameOwner"), ("UUID", "uuid"), ("UUIDString", "uuidString"), ("GetId", "getId"),
        ("get_all", "getAll"), ("SELinuxContext", "seLinuxContext"), ("x", "x"),
    ])
    func lowerCamel(_ input: String, _ expected: String) {
        #expect(SwiftNames.lowerCamel(input) == expected)
    }

    @Test func keywordsAreEscaped() {
        #expect(SwiftNames.escaped("default") == "`default`")
        #expect(SwiftNames.escaped("value") == "value")
    }
}

@Suite struct IntrospectionParserTests {
    @Test func readsDirectionsAccessAndAnnotations() throws {
        let node = try IntrospectionParser.parse("""
            <node><interface name="a.B">
              <method name="M"><arg name="x" type="i"/><arg name="y" type="s" direction="out"/>
                <annotation name="org.freedesktop.DBus.Deprecated" value="true"/></method>
              <property name="P" type="as" access="readwrite">
                <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/></property>
              <signal name="S"><arg type="(ii)"/></signal>
            </interface><node name="child"/></node>
            """)
        let interface = try #require(node.interfaces.first)
        #expect(interface.methods.first?.inputs.map(\.type) == ["i"])
        #expect(interface.methods.first?.outputs.map(\.type) == ["s"])
        #expect(interface.methods.first?.isDeprecated == true)
        #expect(interface.properties.first?.access == "readwrite")
        #expect(interface.properties.first?.emitsChangedSignal == false)
        #expect(interface.signals.first?.arguments.first?.type == "(ii)")
        #expect(node.children.map(\.name) == ["child"])
    }

    @Test func rejectsBadInput() {
        #expect(throws: CodegenError.self) { try IntrospectionParser.parse("<node><interface>") }
        #expect(throws: CodegenError.self) { try IntrospectionParser.parse("<node><interface/></node>") }
        #expect(throws: CodegenError.self) {
            try IntrospectionParser.parse(#"<node><interface name="a.B"><property name="P" type="s" access="rw"/></interface></node>"#)
        }
        #expect(throws: CodegenError.self) {
            let node = try IntrospectionParser.parse(#"<node><interface name="a.B"><method name="M"><arg type="a"/></method></interface></node>"#)
            _ = try SwiftGenerator().generate(node)
        }
        for type in ["ii", "a{hs}", "(", "z"] {
            #expect(throws: CodegenError.self, "\(type)") {
                let node = try IntrospectionParser.parse(
                    #"<node><interface name="a.B"><method name="M"><arg type=""# + type + #""/></method></interface></node>"#)
                _ = try SwiftGenerator().generate(node)
            }
        }
    }
}

@Suite struct GeneratedCodeTests {
    /// Every real XML file: the captured driver introspection, the committed copies, and
    /// whatever Debian packages installed under /usr/share/dbus-1/interfaces.
    static func realXMLFiles() throws -> [String] {
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: Paths.fixtures).map { Paths.fixtures + "/" + $0 }
        let installed = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/share/dbus-1/interfaces")) ?? []
        return (fixtures + installed.map { "/usr/share/dbus-1/interfaces/" + $0 }).filter { $0.hasSuffix(".xml") }.sorted()
    }

    /// Generates Swift for every real XML file with the command-line tool and type-checks
    /// each against the built SwiftBus module.
    /// Each tool runs on a Dispatch thread (`runInBackground`): ~25 s of swiftc on a
    /// cooperative thread stalled every async test in the process (wall-clock bounds failed).
    @Test func generatedSwiftTypeChecks() async throws {
        let files = try Self.realXMLFiles()
        #expect(files.count >= 3)
        let directory = NSTemporaryDirectory() + "swiftbus-codegen-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var generated: [String] = []
        for file in files {
            let output = directory + "/" + URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent + ".swift"
            let result = try await runInBackground(Paths.buildDirectory + "/swiftbus-codegen", [file, "-o", output])
            #expect(result.status == 0, "\(file): \(result.standardError)")
            generated.append(output)
        }
        // One compiler per file: files may declare the same standard interfaces.
        for file in generated {
            let result = try await runInBackground("/opt/swift/usr/bin/swiftc", [
                "-typecheck", "-swift-version", "6", "-I", Paths.buildDirectory + "/Modules",
                "-Xcc", "-fmodule-map-file=\(Paths.buildDirectory)/CSwiftBusShims.build/module.modulemap",
                "-I", Paths.packageRoot + "/Sources/CSwiftBusShims/include", file,
            ])
            #expect(result.status == 0, "\(file): \(result.standardError.prefix(2000))")
        }
    }

    /// The committed generated driver code is what the generator makes today.
    @Test func committedDriverCodeIsCurrent() throws {
        let xml = try String(contentsOfFile: Paths.fixtures + "/dbus-daemon-driver.xml", encoding: .utf8)
        let options = SwiftGenerator.Options(interfacePrefix: "org.freedesktop.", isPublic: false, sourceName: "dbus-daemon-driver.xml")
        let source = try SwiftGenerator(options: options).generate(IntrospectionParser.parse(xml))
        let committed = try String(
            contentsOfFile: Paths.packageRoot + "/Tests/SwiftBusCodegenTests/Generated/DBusDriver.swift", encoding: .utf8)
        #expect(source == committed)
    }

    /// The generated driver proxy calls a running dbus-daemon.
    @Test func generatedProxyCallsDBusDaemon() async throws {
        let connection = try await Connection.connect(to: ReferenceBus.shared.address)
        defer { connection.close() }
        let driver = Proxy<DBus>(connection: connection, destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus")
        let names = try await driver.listNames()
        #expect(names.contains(connection.uniqueName))
        #expect(try await driver.getNameOwner("org.freedesktop.DBus") == "org.freedesktop.DBus")
        let features = try await driver.features
        #expect(features.contains("HeaderFiltering"))
        let credentials = try await driver.getConnectionCredentials(connection.uniqueName)
        #expect(try credentials["ProcessID"]?.get(UInt32.self) == UInt32(getpid()))
    }

    /// A generated server protocol, implemented and exported, answers the generated proxy.
    @Test func generatedServerAnswersGeneratedProxy() async throws {
        struct Stats: DBusDebugStatsServer {
            func getStats() async throws -> [String: Variant] { ["Serial": try Variant(UInt32(7))] }
            func getConnectionStats(_ name: String) async throws -> [String: Variant] { ["Name": try Variant(name)] }
            func getAllMatchRules() async throws -> [String: [String]] { [":1.1": ["type='signal'"]] }
        }
        let server = try await Connection.connect(to: ReferenceBus.shared.address)
        let client = try await Connection.connect(to: ReferenceBus.shared.address)
        defer { server.close(); client.close() }
        server.export(Stats().implementation(), at: "/generated")
        let proxy = Proxy<DBusDebugStats>(connection: client, destination: server.uniqueName, path: "/generated")
        #expect(try await proxy.getConnectionStats("x") == ["Name": try Variant("x")])
        #expect(try await proxy.getAllMatchRules() == [":1.1": ["type='signal'"]])
        #expect(try await proxy.getStats()["Serial"]?.get(UInt32.self) == 7)
    }
}

@Suite struct CodegenCommandLineTests {
    @Test func malformedXMLIsOneLineAndFailure() throws {
        let path = NSTemporaryDirectory() + "swiftbus-codegen-bad-\(getpid()).xml"
        try #"<node><interface name="a.B"><method name="M"><arg type="a{"/></method></interface></node>"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(Paths.buildDirectory + "/swiftbus-codegen", [path])
        #expect(result.status != 0)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.contains("a{"))
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    }

    @Test func missingFileIsAFailure() throws {
        let result = try run(Paths.buildDirectory + "/swiftbus-codegen", ["/nonexistent/x.xml"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("/nonexistent/x.xml"))
    }
}
