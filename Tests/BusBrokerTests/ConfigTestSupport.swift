// Config Test Support
//
// An in-memory file system and helpers so config tests read like the files they load.

#if canImport(Glibc)
import Glibc
#endif
@testable import BusBroker

/// Serves files from a dictionary; directories are the prefixes of its paths.
struct MemoryFileSystem: ConfigFileSystem {
    var files: [String: String]
    /// Paths that exist but cannot be read, with their errno.
    var unreadable: [String: Int32] = [:]

    func read(_ path: String) -> ConfigFileRead {
        if let errno = unreadable[path] { return .failed(errno: errno) }
        guard let text = files[canonical(path)] else { return .notFound }
        return .contents(Array(text.utf8))
    }

    func entries(of directory: String) -> [String]? {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let names = files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            .filter { !$0.contains("/") }
        return names.isEmpty ? nil : names
    }

    func canonical(_ path: String) -> String {
        // Collapse "/./" so two spellings of one file count as the same for cycle detection.
        path.replacingOccurrences(of: "/./", with: "/")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = self
        while let range = result.firstRange(of: target) { result.replaceSubrange(range, with: replacement) }
        return result
    }
}

/// The main file's path in tests.
let mainPath = "/etc/test/main.conf"

/// Loads `body` as the inside of a busconfig that already listens somewhere, so each test
/// states only what it is about. `body` starts on line 2 of the file.
func loadBody(_ body: String, files: [String: String] = [:]) throws(ConfigError) -> BusConfig {
    try loadFile("<busconfig><listen>unix:tmpdir=/tmp</listen>\n\(body)\n</busconfig>", files: files)
}

func loadFile(_ text: String, files: [String: String] = [:]) throws(ConfigError) -> BusConfig {
    var all = files
    all[mainPath] = text
    return try ConfigLoader(fileSystem: MemoryFileSystem(files: all)).load(file: mainPath)
}

/// The error loading `body` gives, or nil if it loads.
func errorOfBody(_ body: String, files: [String: String] = [:]) -> ConfigError? {
    do throws(ConfigError) { _ = try loadBody(body, files: files) } catch { return error }
    return nil
}

func errorOfFile(_ text: String, files: [String: String] = [:]) -> ConfigError? {
    do throws(ConfigError) { _ = try loadFile(text, files: files) } catch { return error }
    return nil
}

/// The rules of the only `<policy>` in `body`.
func rules(_ body: String) throws(ConfigError) -> [PolicyRule.Kind] {
    try loadBody("<policy context=\"default\">\(body)</policy>").policies[0].rules.map(\.kind)
}

func ruleError(_ body: String) -> ConfigError.Reason? {
    errorOfBody("<policy context=\"default\">\(body)</policy>")?.reason
}

/// Writes `bytes` to a new file under /tmp and returns its path; the caller unlinks it.
func temporaryFile(_ bytes: [UInt8]) -> String {
    var template = Array("/tmp/swiftbus-config-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(fd >= 0, "mkstemp failed")
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            precondition(n > 0, "write failed")
            done += n
        }
    }
    close(fd)
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
