// Service Catalog
//
// The activatable names: every `.service` file of the service directories, re-read when a
// file changes, with the first directory winning a name, as in dbus-daemon.
import DBusWire
import Glibc

/// The `.service` files the bus can start, by bus name. `refresh` rescans the directories;
/// a file whose size, mtime and inode are unchanged is not parsed again, so a rescan costs
/// a `stat` per file. `isStale` tells a lookup whether a rescan is needed at all: when a
/// directory's mtime moved (a file was added, removed or renamed into place) or the file
/// that provides the name changed — dbus-daemon's checks on lookup, at a few `stat`s, so
/// no inotify watch is needed. A broken file is reported once, the first time it is seen
/// in that state, and skipped.
struct ServiceCatalog {
    /// One usable service file.
    struct Entry: Equatable {
        let service: ServiceFile
        let path: String
    }

    /// What identifies a version of a file on disk.
    private struct Stamp: Equatable {
        let size: Int
        let modified: Int
        let modifiedNanoseconds: Int
        let inode: UInt
    }

    private struct Parsed {
        let stamp: Stamp
        let result: Result<ServiceFile, ServiceFileError>
    }

    private(set) var entries: [String: Entry] = [:]
    private var parsed: [String: Parsed] = [:]
    private var reported: Set<String> = []
    /// The directories of the last scan and their stamps (nil: missing then).
    private var scanned: [ServiceDirectoryPath] = []
    private var directoryStamps: [String: Stamp] = [:]

    /// Whether a lookup of `name` in `directories` needs a rescan first.
    func isStale(for name: String, directories: [ServiceDirectoryPath]) -> Bool {
        if directories != scanned { return true }
        for directory in directories where Self.stamp(of: directory.path, kind: S_IFDIR) != directoryStamps[directory.path] {
            return true
        }
        if let entry = entries[name], Self.stamp(of: entry.path, kind: S_IFREG) != parsed[entry.path]?.stamp { return true }
        return false
    }

    /// Rescans `directories` in priority order; returns the problems not reported before.
    mutating func refresh(directories: [ServiceDirectoryPath],
                          fileSystem: any ConfigFileSystem = LinuxConfigFileSystem()) -> [ServiceFileError] {
        var fresh: [String: Entry] = [:]
        var freshParsed: [String: Parsed] = [:]
        var problems: [ServiceFileError] = []
        scanned = directories
        directoryStamps = [:]
        for directory in directories {
            directoryStamps[directory.path] = Self.stamp(of: directory.path, kind: S_IFDIR)
            guard let names = fileSystem.entries(of: directory.path) else { continue }
            for fileName in names.filter({ $0.hasSuffix(".service") }).sorted() {
                let path = directory.path + "/" + fileName
                guard let file = load(path, fileSystem: fileSystem, into: &freshParsed, problems: &problems) else { continue }
                if let problem = check(file, path: path, fileName: fileName,
                                       strictNaming: directory.requiresMatchingFileNames, against: fresh) {
                    problems.append(problem)
                    continue
                }
                fresh[file.name] = Entry(service: file, path: path)
            }
        }
        entries = fresh
        parsed = freshParsed
        let current = Set(problems.map(\.description))
        let unreported = problems.filter { !reported.contains($0.description) }
        reported = current
        return unreported
    }

    /// The file at `path`, parsed again only if it changed since the last scan.
    private func load(_ path: String, fileSystem: any ConfigFileSystem, into table: inout [String: Parsed],
                      problems: inout [ServiceFileError]) -> ServiceFile? {
        guard let stamp = Self.stamp(of: path, kind: S_IFREG) else { return nil }
        let entry: Parsed
        if let known = parsed[path], known.stamp == stamp {
            entry = known
        } else {
            entry = Parsed(stamp: stamp, result: Self.parse(path, fileSystem: fileSystem))
        }
        table[path] = entry
        switch entry.result {
        case .success(let file): return file
        case .failure(let error):
            problems.append(error)
            return nil
        }
    }

    private static func parse(_ path: String, fileSystem: any ConfigFileSystem) -> Result<ServiceFile, ServiceFileError> {
        switch fileSystem.read(path) {
        case .contents(let bytes):
            return Result { () throws(ServiceFileError) in try ServiceFileParser.parse(bytes, file: path) }
        case .notFound: return .failure(ServiceFileError(file: path, line: 0, reason: .unreadable(errno: ENOENT)))
        case .tooLarge:
            return .failure(ServiceFileError(file: path, line: 0, reason: .tooLarge(size: ServiceFileParser.maxFileSize + 1,
                                                                                limit: ServiceFileParser.maxFileSize)))
        case .failed(let errno): return .failure(ServiceFileError(file: path, line: 0, reason: .unreadable(errno: errno)))
        }
    }

    /// Rules that need more than the file itself: a valid name, the file name in the
    /// standard system directories, and the first file wins a name.
    private func check(_ file: ServiceFile, path: String, fileName: String, strictNaming: Bool,
                       against found: [String: Entry]) -> ServiceFileError? {
        if !NameValidation.isValid(file.name, as: .busName) || file.name.hasPrefix(":") {
            return ServiceFileError(file: path, line: 0, reason: .invalidBusName(file.name))
        }
        if strictNaming && fileName != file.name + ".service" {
            return ServiceFileError(file: path, line: 0, reason: .nameMismatch(expected: file.name + ".service"))
        }
        if let other = found[file.name] {
            return ServiceFileError(file: path, line: 0, reason: .duplicateName(file.name, providedBy: other.path))
        }
        return nil
    }

    /// The stamp of `path` if it exists and is of `kind` (`S_IFREG`, `S_IFDIR`).
    private static func stamp(of path: String, kind: mode_t) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == kind else { return nil }
        return Stamp(size: Int(info.st_size), modified: Int(info.st_mtim.tv_sec),
                     modifiedNanoseconds: Int(info.st_mtim.tv_nsec), inode: UInt(info.st_ino))
    }
}
