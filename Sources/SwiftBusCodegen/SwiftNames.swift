/// Swift Names: D-Bus names made into Swift identifiers.

/// Turns D-Bus member, argument and interface names into Swift identifiers: CamelCase
/// members become lowerCamelCase, snake_case becomes camelCase, and keywords are escaped.
public enum SwiftNames {
    /// Words Swift reserves in the positions we generate (declarations, parameters).
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer",
        "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where",
        "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try",
        "Type", "Protocol", "_", "some", "any", "async", "consume", "copy", "borrowing", "consuming", "sending",
    ]

    /// `GetNameOwner` → `getNameOwner`, `UUID` → `uuid`, `SELinuxContext` → `seLinuxContext`,
    /// `get_all` → `getAll`.
    public static func lowerCamel(_ name: String) -> String {
        let upper = upperCamel(name)
        let characters = Array(upper)
        var leadingUpper = 0
        while leadingUpper < characters.count, characters[leadingUpper].isUppercase { leadingUpper += 1 }
        if leadingUpper == 0 { return upper }
        // In "UUIDString" the last capital starts the next word and stays; in "UUID" all go.
        let lowered = leadingUpper == 1 || leadingUpper == characters.count ? leadingUpper : leadingUpper - 1
        return String(characters[..<lowered]).lowercased() + String(characters[lowered...])
    }

    /// `org.freedesktop.DBus` → `OrgFreedesktopDBus`; `get_all` → `GetAll`.
    public static func upperCamel(_ name: String) -> String {
        var result = ""
        for word in name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            result += word.prefix(1).uppercased() + word.dropFirst()
        }
        if result.isEmpty { return "_" }
        if result.first!.isNumber { result = "_" + result }
        return result
    }

    /// `name` made safe as a declaration name: keywords in backticks.
    public static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// A Swift string literal holding `text`.
    public static func literal(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 { result += "\\u{\(String(scalar.value, radix: 16))}" } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }
}

/// Hands out identifiers that are unique within one scope, suffixing a number on clashes.
struct NameScope {
    private var taken: Set<String>

    init(reserved: Set<String> = []) { taken = reserved }

    /// `base`, else `base` + `suffix`, else that with `2`, `3`… appended.
    mutating func claim(_ base: String, suffix: String = "") -> String {
        var candidate = base
        if taken.contains(candidate), !suffix.isEmpty { candidate = base + suffix }
        let stem = candidate
        var counter = 2
        while taken.contains(candidate) {
            candidate = stem + String(counter)
            counter += 1
        }
        taken.insert(candidate)
        return candidate
    }
}
