// Exec Line
//
// Splits an `Exec=` value into argv with the shell's quoting rules, as dbus-daemon does
// (`_dbus_shell_parse_argv`): no expansion, no shell is run.

/// An `Exec=` command line split into arguments. Words are separated by unquoted blanks;
/// `'…'` is literal; inside `"…"` a backslash escapes only `"`, `\`, `$`, `` ` `` and a
/// newline; outside quotes a backslash escapes any character; an unquoted `#` at the
/// start of a word comments out the rest.
public struct ExecLine: Equatable, Sendable {
    public let arguments: [String]

    /// Why a command line cannot be split; texts as dbus-daemon's.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case unterminatedQuote(Character)
        case trailingBackslash

        public var description: String {
            switch self {
            case .empty: "Text was empty (or contained only whitespace)"
            case .unterminatedQuote(let quote): "Text ended before matching quote was found for \(quote)."
            case .trailingBackslash: "Text ended just after a '\\' character."
            }
        }
    }

    public init(parsing text: String) throws(ParseError) {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = text.makeIterator()
        while let character = characters.next() {
            switch character {
            case " ", "\t", "\n":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "#" where !inWord:
                while let next = characters.next(), next != "\n" {}
            case "'":
                inWord = true
                try Self.readSingleQuoted(&characters, into: &word)
            case "\"":
                inWord = true
                try Self.readDoubleQuoted(&characters, into: &word)
            case "\\":
                guard let next = characters.next() else { throw .trailingBackslash }
                inWord = true
                if next != "\n" { word.append(next) }
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        if words.isEmpty { throw .empty }
        arguments = words
    }

    private static func readSingleQuoted(_ characters: inout String.Iterator, into word: inout String) throws(ParseError) {
        while let character = characters.next() {
            if character == "'" { return }
            word.append(character)
        }
        throw .unterminatedQuote("'")
    }

    private static func readDoubleQuoted(_ characters: inout String.Iterator, into word: inout String) throws(ParseError) {
        while let character = characters.next() {
            switch character {
            case "\"":
                return
            case "\\":
                guard let next = characters.next() else { throw .unterminatedQuote("\"") }
                switch next {
                case "\"", "\\", "$", "`": word.append(next)
                case "\n": break
                default:
                    word.append("\\")
                    word.append(next)
                }
            default:
                word.append(character)
            }
        }
        throw .unterminatedQuote("\"")
    }
}
