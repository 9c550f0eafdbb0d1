// Service File Error
//
// Why a `.service` file was not loaded: the file, the line and what is wrong there.

/// A `.service` file that cannot be used. The broker logs it and skips the file; every
/// other service and client carries on.
public struct ServiceFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Hashable, Sendable {
        case tooLarge(size: Int, limit: Int)
        case invalidUTF8
        case keyBeforeGroup
        case badGroupHeader
        case badGroupName(String)
        case duplicateGroup(String)
        case emptyKey
        case badKeyCharacter(UInt8)
        case missingEquals(key: String)
        case duplicateKey(String)
        case badEscape(UInt8?)
        case missingGroup
        case missingKey(String)
        case invalidBusName(String)
        case nameMismatch(expected: String)
        case duplicateName(String, providedBy: String)
        case unreadable(errno: Int32)
    }

    /// The file; empty when parsing text that came from no file.
    public var file: String
    /// 1-based line of the problem; 0 when it concerns the whole file.
    public var line: Int
    public var reason: Reason

    public init(file: String, line: Int, reason: Reason) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return "\(place): \(explanation)"
    }

    private var explanation: String {
        switch reason {
        case .tooLarge(let size, let limit): "the file has \(size) bytes, more than the \(limit) a service file may have"
        case .invalidUTF8: "the file is not valid UTF-8"
        case .keyBeforeGroup: "a key=value line comes before any [group] header"
        case .badGroupHeader: "a group header must be [name] on a line of its own"
        case .badGroupName(let name): "group name \"\(name)\" contains a control character or a bracket"
        case .duplicateGroup(let name): "group [\(name)] appears twice"
        case .emptyKey: "the line has no key before '='"
        case .badKeyCharacter(let byte): "key names may hold only letters, digits and '-', not byte 0x\(String(byte, radix: 16))"
        case .missingEquals(let key): "key \"\(key)\" has no '='"
        case .duplicateKey(let key): "key \"\(key)\" is set twice in this group"
        case .badEscape(let byte?): "unknown escape \\\(Character(Unicode.Scalar(byte))) (allowed: \\s \\t \\n \\r \\\\)"
        case .badEscape(nil): "a backslash ends the line"
        case .missingGroup: "no [\(ServiceFile.group)] group"
        case .missingKey(let key): "no \"\(key)\" key in [\(ServiceFile.group)]"
        case .invalidBusName(let name): "Name=\(name) is not a valid well-known bus name"
        case .nameMismatch(let expected): "a file in a standard system service directory must be named \(expected)"
        case .duplicateName(let name, let other): "\(name) is already provided by \(other); the first file found wins"
        case .unreadable(let errno): "cannot read the file (errno \(errno))"
        }
    }
}
