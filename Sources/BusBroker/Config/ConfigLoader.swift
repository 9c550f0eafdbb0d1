// Config Loader
//
// Reads a busconfig file and everything it includes into one `BusConfig`.

/// Loads busconfig files the way dbus-daemon does: includes resolve relative to the
/// including file and are merged where they stand; `<includedir>` reads the `.conf` files
/// of a directory in name order, and a broken file there is logged and skipped rather than
/// fatal; a file that includes itself, directly or not, is an error.
public struct ConfigLoader {
    let fileSystem: any ConfigFileSystem

    public init(fileSystem: any ConfigFileSystem = LinuxConfigFileSystem()) {
        self.fileSystem = fileSystem
    }

    /// Loads the file at `path` and its includes. The result has at least one `<listen>`.
    public func load(file path: String) throws(ConfigError) -> BusConfig {
        var config = BusConfig()
        try include(path, ignoreMissing: false, into: &config, chain: [], from: nil)
        return try finished(config, file: path)
    }

    /// Loads configuration text that did not come from a file (the built-in session
    /// configuration); `name` appears in errors and relative includes resolve against
    /// `baseDirectory`.
    public func load(text: String, name: String, baseDirectory: String) throws(ConfigError) -> BusConfig {
        var config = BusConfig()
        config.files.append(name)
        var parser = ConfigFileParser(loader: self, file: name, baseDirectory: baseDirectory, chain: [name])
        try parser.parse(Array(text.utf8), into: &config)
        return try finished(config, file: name)
    }

    private func finished(_ config: BusConfig, file: String) throws(ConfigError) -> BusConfig {
        guard !config.listen.isEmpty else { throw ConfigError(.noListenAddress, file: file, at: nil) }
        return config
    }

    /// Parses `path` into `config`. `chain` holds the canonical paths of the files that
    /// include this one, outermost first; `site` is the `<include>` that named it.
    func include(_ path: String, ignoreMissing: Bool, into config: inout BusConfig, chain: [String],
                 from site: (file: String, position: XMLPosition)?) throws(ConfigError) {
        let key = fileSystem.canonical(path)
        if chain.contains(key) { throw ConfigError(.includeCycle(path), file: site?.file ?? path, at: site?.position) }
        if chain.count >= ConfigLimits.maxIncludeDepth {
            throw ConfigError(.includeTooDeep(path), file: site?.file ?? path, at: site?.position)
        }
        let bytes: [UInt8]
        switch fileSystem.read(path) {
        case .contents(let contents): bytes = contents
        case .notFound:
            if ignoreMissing { return }
            throw ConfigError(.fileNotFound(path), file: site?.file ?? path, at: site?.position)
        case .tooLarge: throw ConfigError(.fileTooLarge(path, limit: ConfigLimits.maxFileSize), file: path, at: nil)
        case .failed(let errno): throw ConfigError(.unreadableFile(path, errno: errno), file: site?.file ?? path, at: site?.position)
        }
        config.files.append(path)
        var parser = ConfigFileParser(loader: self, file: path, baseDirectory: Self.directory(of: path), chain: chain + [key])
        try parser.parse(bytes, into: &config)
    }

    /// Includes every `*.conf` in `directory`, sorted by name. A missing directory is fine.
    func includeDirectory(_ directory: String, into config: inout BusConfig, chain: [String]) {
        guard let names = fileSystem.entries(of: directory) else { return }
        for name in names.filter({ $0.hasSuffix(".conf") }).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let path = Self.join(directory, name)
            // Parsed into a copy so a file that fails half-way leaves nothing behind.
            var trial = config
            do throws(ConfigError) {
                try include(path, ignoreMissing: true, into: &trial, chain: chain, from: nil)
                config = trial
            } catch {
                config.notes.append(ConfigNote(file: path, line: 0, message: "skipped: \(error)"))
            }
        }
        config.configDirectories.append(directory)
    }

    /// `name` if absolute, else `name` under `base`.
    static func resolve(_ name: String, against base: String) -> String {
        name.hasPrefix("/") ? name : join(base, name)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
