// Standard Service Directories
//
// Where `<standard_session_servicedirs/>` and `<standard_system_servicedirs/>` look, as
// dbus-daemon 1.14 expands them.

/// One directory to scan for `.service` files.
struct ServiceDirectoryPath: Equatable {
    let path: String
    /// The standard system directories are also read by the setuid launch helper, which
    /// finds a service by file name: there a file must be named after its `Name=`. In a
    /// `<servicedir>` dbus-daemon 1.14 accepts any name, even on a system bus (checked).
    let requiresMatchingFileNames: Bool
}

/// Expands the configuration's service directory list into paths, in priority order (a
/// name found in an earlier directory wins).
enum StandardServiceDirectories {
    /// dbus-daemon's `DBUS_DATADIR` on this kind of system.
    static let dataDirectory = "/usr/share"
    /// The XDG defaults for unset variables.
    static let defaultDataDirectories = "/usr/local/share:/usr/share"
    /// `<standard_system_servicedirs/>`.
    static let system = ["/usr/local/share/dbus-1/system-services", "/usr/share/dbus-1/system-services",
                         "/lib/dbus-1/system-services"]

    /// Every directory `directories` names, without duplicates; `environment` reads a variable.
    static func expand(_ directories: [ServiceDirectory], environment: (String) -> String?) -> [ServiceDirectoryPath] {
        var paths: [ServiceDirectoryPath] = []
        func add(_ path: String, strict: Bool) {
            let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
            if !trimmed.isEmpty && !paths.contains(where: { $0.path == trimmed }) {
                paths.append(ServiceDirectoryPath(path: trimmed, requiresMatchingFileNames: strict))
            }
        }
        for directory in directories {
            switch directory {
            case .path(let path): add(path, strict: false)
            case .standardSession: for path in session(environment: environment) { add(path, strict: false) }
            case .standardSystem: for path in system { add(path, strict: true) }
            }
        }
        return paths
    }

    /// The runtime directory first (transient services), then XDG_DATA_HOME, then each of
    /// XDG_DATA_DIRS, then the data directory dbus was built with.
    static func session(environment: (String) -> String?) -> [String] {
        var result: [String] = []
        if let runtime = nonEmpty(environment("XDG_RUNTIME_DIR")) { result.append(runtime + "/dbus-1/services") }
        if let dataHome = nonEmpty(environment("XDG_DATA_HOME")) {
            result.append(dataHome + "/dbus-1/services")
        } else if let home = nonEmpty(environment("HOME")) {
            result.append(home + "/.local/share/dbus-1/services")
        }
        let dataDirectories = nonEmpty(environment("XDG_DATA_DIRS")) ?? defaultDataDirectories
        for directory in dataDirectories.split(separator: ":") where !directory.isEmpty {
            let base = directory.hasSuffix("/") ? String(directory.dropLast()) : String(directory)
            result.append(base + "/dbus-1/services")
        }
        result.append(dataDirectory + "/dbus-1/services")
        return result
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
