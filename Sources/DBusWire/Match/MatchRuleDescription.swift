/// Match Rule Description
///
/// The canonical text of a rule: keys in dbus-daemon's order (type, interface, member, path,
/// path_namespace, sender, destination, eavesdrop, then arguments by index), every value in
/// single quotes, an apostrophe written as `'\''`. It is what dbus-daemon's `GetAllMatchRules`
/// prints, and it parses back to an equal rule.
extension MatchRule: CustomStringConvertible {
    public var description: String {
        var pairs: [(String, String)] = []
        if let type { pairs.append(("type", type.matchRuleName)) }
        if let interface { pairs.append(("interface", interface)) }
        if let member { pairs.append(("member", member)) }
        if let path { pairs.append(("path", path)) }
        if let pathNamespace { pairs.append(("path_namespace", pathNamespace)) }
        if let sender { pairs.append(("sender", sender)) }
        if let destination { pairs.append(("destination", destination)) }
        if eavesdrop { pairs.append(("eavesdrop", "true")) }
        if let arg0Namespace { pairs.append(("arg0namespace", arg0Namespace)) }
        for index in Set(arguments.keys).union(argumentPaths.keys).sorted() {
            if let value = arguments[index] { pairs.append(("arg\(index)", value)) }
            if let value = argumentPaths[index] { pairs.append(("arg\(index)path", value)) }
        }
        return pairs.map { "\($0.0)=\(Self.quoted($0.1))" }.joined(separator: ",")
    }

    /// Inside single quotes everything but the apostrophe is literal, so an apostrophe closes the
    /// quotes, is escaped, and reopens them. Done on bytes: an apostrophe followed by a combining
    /// mark is one `Character`, which a character-level replace would miss.
    static func quoted(_ value: String) -> String {
        let apostrophe = UInt8(ascii: "'")
        var bytes: [UInt8] = [apostrophe]
        for byte in value.utf8 {
            if byte == apostrophe { bytes.append(contentsOf: #"'\''"#.utf8) } else { bytes.append(byte) }
        }
        bytes.append(apostrophe)
        return String(decoding: bytes, as: UTF8.self)
    }
}
