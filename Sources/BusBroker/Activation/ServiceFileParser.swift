// Service File Parser
//
// The desktop-entry syntax of `.service` files, read strictly: every deviation is an error
// that names the line, so a typo never silently disables a service.

/// Parses the bytes of a `.service` file. The grammar is dbus-daemon's (bus/desktop-file.c):
/// `#` comments and blank lines; `[group]` headers; `key=value` lines whose keys hold only
/// letters, digits and `-`, with spaces allowed around `=`; `key[locale]=…` lines ignored;
/// values unescaped (`\s \t \n \r \\`). Stricter than dbus-daemon where it silently picks
/// one of two meanings: a repeated key or group is an error rather than "first wins".
/// Depends on nothing but the standard library, so the fuzz target can compile it alone.
public enum ServiceFileParser {
    /// dbus-daemon refuses service files above 128 KiB.
    public static let maxFileSize = 128 * 1024

    /// The `[D-BUS Service]` group of `bytes`; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws(ServiceFileError) -> ServiceFile {
        guard bytes.count <= maxFileSize else {
            throw ServiceFileError(file: file, line: 0, reason: .tooLarge(size: bytes.count, limit: maxFileSize))
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ServiceFileError(file: file, line: 0, reason: .invalidUTF8)
        }
        let groups = try readGroups(bytes, file: file)
        guard let keys = groups[ServiceFile.group] else {
            throw ServiceFileError(file: file, line: 0, reason: .missingGroup)
        }
        func required(_ key: String) throws(ServiceFileError) -> String {
            guard let value = keys[key] else { throw ServiceFileError(file: file, line: 0, reason: .missingKey(key)) }
            return value
        }
        return ServiceFile(
            name: try required("Name"), exec: try required("Exec"), user: keys["User"],
            systemdService: keys["SystemdService"], assumedAppArmorLabel: keys["AssumedAppArmorLabel"])
    }

    /// Every group's keys and unescaped values.
    static func readGroups(_ bytes: [UInt8], file: String) throws(ServiceFileError) -> [String: [String: String]] {
        var groups: [String: [String: String]] = [:]
        var current: String?
        var lineNumber = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.last == UInt8(ascii: "\r") ? raw.dropLast() : raw
            func fail(_ reason: ServiceFileError.Reason) -> ServiceFileError {
                ServiceFileError(file: file, line: lineNumber, reason: reason)
            }
            if line.first == UInt8(ascii: "[") {
                let name = try groupName(line, fail: fail)
                if groups[name] != nil { throw fail(.duplicateGroup(name)) }
                groups[name] = [:]
                current = name
                continue
            }
            if isBlank(line) || line.first == UInt8(ascii: "#") { continue }
            guard let group = current else { throw fail(.keyBeforeGroup) }
            guard let (key, value) = try keyValue(line, fail: fail) else { continue }
            if groups[group]?[key] != nil { throw fail(.duplicateKey(key)) }
            groups[group]?[key] = value
        }
        return groups
    }

    private static func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0C || $0 == 0x0D }
    }

    private static func groupName(
        _ line: ArraySlice<UInt8>, fail: (ServiceFileError.Reason) -> ServiceFileError
    ) throws(ServiceFileError) -> String {
        guard line.count > 2, line.last == UInt8(ascii: "]") else { throw fail(.badGroupHeader) }
        let name = try unescape(line.dropFirst().dropLast(), fail: fail)
        let forbidden = name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "[" || $0 == "]" }
        if forbidden { throw fail(.badGroupName(name)) }
        return name
    }

    /// The key and value of one line; nil for a localized key (`Name[de]=…`), which
    /// dbus-daemon ignores.
    private static func keyValue(
        _ line: ArraySlice<UInt8>, fail: (ServiceFileError.Reason) -> ServiceFileError
    ) throws(ServiceFileError) -> (String, String)? {
        var index = line.startIndex
        while index < line.endIndex && isKeyByte(line[index]) { index += 1 }
        if index == line.startIndex { throw fail(.emptyKey) }
        let key = String(decoding: line[line.startIndex..<index], as: UTF8.self)
        if index < line.endIndex && line[index] == UInt8(ascii: "[") { return nil }
        while index < line.endIndex && line[index] == 0x20 { index += 1 }
        guard index < line.endIndex else { throw fail(.missingEquals(key: key)) }
        guard line[index] == UInt8(ascii: "=") else { throw fail(.badKeyCharacter(line[index])) }
        index += 1
        while index < line.endIndex && line[index] == 0x20 { index += 1 }
        return (key, try unescape(line[index...], fail: fail))
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): true
        default: false
        }
    }

    /// The desktop-entry escapes; anything else after a backslash is an error.
    private static func unescape(
        _ bytes: ArraySlice<UInt8>, fail: (ServiceFileError.Reason) -> ServiceFileError
    ) throws(ServiceFileError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            guard index < bytes.endIndex else { throw fail(.badEscape(nil)) }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "s"): out.append(0x20)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            default: throw fail(.badEscape(escaped))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
