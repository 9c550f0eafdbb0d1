// Config File System
//
// The few file operations loading a configuration needs, behind a protocol so tests and
// the fuzzer can serve files from memory.

#if canImport(Glibc)
import Glibc
#endif

/// The outcome of reading one file.
public enum ConfigFileRead: Equatable, Sendable {
    case contents([UInt8])
    case notFound
    case tooLarge
    case failed(errno: Int32)
}

/// Where configuration files come from.
public protocol ConfigFileSystem {
    /// The whole file, refusing anything above `ConfigLimits.maxFileSize`.
    func read(_ path: String) -> ConfigFileRead
    /// The names in a directory (not `.`/`..`), or nil if it does not exist or is unreadable.
    func entries(of directory: String) -> [String]?
    /// A name that is the same for every path to the same file, for include-cycle detection.
    func canonical(_ path: String) -> String
}

/// The real file system, through Glibc.
public struct LinuxConfigFileSystem: ConfigFileSystem {
    public init() {}

    public func read(_ path: String) -> ConfigFileRead {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return errno == ENOENT ? .notFound : .failed(errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(errno: errno)
            }
            if count == 0 { return .contents(bytes) }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > ConfigLimits.maxFileSize { return .tooLarge }
        }
    }

    public func entries(of directory: String) -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
