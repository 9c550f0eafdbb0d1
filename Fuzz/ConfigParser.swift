// Config Parser fuzz target
//
// Feeds arbitrary bytes to the busconfig loader. The input is split at NUL bytes into up to
// four in-memory files that include one another (a main file, a relative include, an
// absolute include and an includedir entry), so include, cycle and merge paths are reached
// as well as the XML reader and every element handler. Any crash or sanitizer report is a bug;
// a ConfigError is the expected outcome for most inputs.

/// Serves the pieces of one fuzz input as files.
struct FuzzFileSystem: ConfigFileSystem {
    let files: [String: [UInt8]]

    func read(_ path: String) -> ConfigFileRead {
        guard let bytes = files[path] else { return .notFound }
        return bytes.count > ConfigLimits.maxFileSize ? .tooLarge : .contents(bytes)
    }

    func entries(of directory: String) -> [String]? {
        directory == "/f/d" ? ["2.conf", "ignored.txt"] : nil
    }

    func canonical(_ path: String) -> String { path }
}

/// The paths the pieces are served at; the seeds include them by these names.
let fuzzPaths = ["/f/main.conf", "/f/one.conf", "/f/d/2.conf", "/abs.conf"]

@_cdecl("LLVMFuzzerTestOneInput")
public func configParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let pieces = input.split(separator: 0, maxSplits: fuzzPaths.count - 1, omittingEmptySubsequences: false)
    var files: [String: [UInt8]] = [:]
    for (path, piece) in zip(fuzzPaths, pieces) { files[path] = Array(piece) }

    let loader = ConfigLoader(fileSystem: FuzzFileSystem(files: files))
    do throws(ConfigError) {
        let config = try loader.load(file: fuzzPaths[0])
        // Touch what the broker would read, so a malformed model cannot hide.
        precondition(!config.listen.isEmpty, "a loaded config always listens somewhere")
        for section in config.policies { _ = section.rules.count }
    } catch {
        _ = error.description
    }
    return 0
}
