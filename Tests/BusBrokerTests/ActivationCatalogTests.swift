// Activation Catalog Tests: scanning service directories on disk, with dbus-daemon's
// precedence and a report for each broken file.
@testable import BusBroker
import Foundation
import Testing

@Suite("activation: service catalog")
struct ActivationCatalogTests {
    private final class Directories {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        init() throws {
            for name in ["high", "low"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(name), withIntermediateDirectories: true)
            }
        }
        func path(_ directory: String) -> String { root.appendingPathComponent(directory).path }
        func write(_ directory: String, _ file: String, name: String, exec: String = "/bin/true") throws {
            try "[D-BUS Service]\nName=\(name)\nExec=\(exec)\n".write(
                toFile: path(directory) + "/" + file, atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(at: root) }
    }

    @Test("the first directory wins a name; the loser is reported once, not on every rescan")
    func precedence() throws {
        let dirs = try Directories()
        try dirs.write("high", "a.service", name: "org.example.A", exec: "/high")
        try dirs.write("low", "a.service", name: "org.example.A", exec: "/low")
        try dirs.write("low", "b.service", name: "org.example.B")
        var catalog = ServiceCatalog()
        let scan = [ServiceDirectoryPath(path: dirs.path("high"), requiresMatchingFileNames: false),
                    ServiceDirectoryPath(path: dirs.path("low"), requiresMatchingFileNames: false)]
        let problems = catalog.refresh(directories: scan)
        #expect(catalog.entries.keys.sorted() == ["org.example.A", "org.example.B"])
        #expect(catalog.entries["org.example.A"]?.service.exec == "/high")
        #expect(problems.map(\.reason) == [.duplicateName("org.example.A", providedBy: dirs.path("high") + "/a.service")])
        #expect(catalog.refresh(directories: scan).isEmpty)
    }

    @Test("a changed file is read again, a removed one is dropped, a new one found")
    func changes() throws {
        let dirs = try Directories()
        try dirs.write("high", "a.service", name: "org.example.A", exec: "/one")
        var catalog = ServiceCatalog()
        let scan = [ServiceDirectoryPath(path: dirs.path("high"), requiresMatchingFileNames: false)]
        _ = catalog.refresh(directories: scan)
        try dirs.write("high", "a.service", name: "org.example.A", exec: "/two/longer")
        try dirs.write("high", "c.service", name: "org.example.C")
        _ = catalog.refresh(directories: scan)
        #expect(catalog.entries["org.example.A"]?.service.exec == "/two/longer")
        #expect(catalog.entries["org.example.C"] != nil)
        try FileManager.default.removeItem(atPath: dirs.path("high") + "/a.service")
        _ = catalog.refresh(directories: scan)
        #expect(catalog.entries.keys.sorted() == ["org.example.C"])
    }

    @Test("isStale: only after a directory or the providing file changed")
    func staleness() throws {
        let dirs = try Directories()
        try dirs.write("high", "a.service", name: "org.example.A")
        var catalog = ServiceCatalog()
        let scan = [ServiceDirectoryPath(path: dirs.path("high"), requiresMatchingFileNames: false),
                    ServiceDirectoryPath(path: dirs.path("missing"), requiresMatchingFileNames: false)]
        _ = catalog.refresh(directories: scan)
        #expect(!catalog.isStale(for: "org.example.A", directories: scan))
        #expect(!catalog.isStale(for: "org.example.Unknown", directories: scan))
        #expect(catalog.isStale(for: "org.example.A", directories: Array(scan.prefix(1))))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dirs.path("high") + "/a.service"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("# edited in place\n".utf8))
        try handle.close()
        #expect(catalog.isStale(for: "org.example.A", directories: scan))
        #expect(!catalog.isStale(for: "org.example.Unknown", directories: scan))
        _ = catalog.refresh(directories: scan)
        try dirs.write("high", "b.service", name: "org.example.B")
        #expect(catalog.isStale(for: "org.example.B", directories: scan))
    }

    @Test("bad names are refused; in a standard system directory the file must be named after Name=")
    func naming() throws {
        let dirs = try Directories()
        try dirs.write("high", "misnamed.service", name: "org.example.Strict")
        try dirs.write("low", "misnamed.service", name: "org.example.Loose")
        try dirs.write("low", "unique.service", name: ":1.5")
        try dirs.write("low", "invalid.service", name: "no-dots")
        var catalog = ServiceCatalog()
        let problems = catalog.refresh(directories: [
            ServiceDirectoryPath(path: dirs.path("high"), requiresMatchingFileNames: true),
            ServiceDirectoryPath(path: dirs.path("low"), requiresMatchingFileNames: false)])
        #expect(catalog.entries.keys.sorted() == ["org.example.Loose"])
        #expect(Set(problems.map(\.reason)) == [.nameMismatch(expected: "org.example.Strict.service"),
                                                .invalidBusName(":1.5"), .invalidBusName("no-dots")])
    }
}
