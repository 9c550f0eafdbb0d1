/// One SASL line split into its command word and argument, as both reference servers do:
/// the command ends at the first space, and the argument starts after the spaces that follow.
struct SASLCommandLine: Sendable, Hashable {
    var command: String
    var argument: String

    init(_ line: [UInt8]) {
        let space = UInt8(ascii: " ")
        guard let end = line.firstIndex(of: space) else {
            command = String(decoding: line, as: UTF8.self)
            argument = ""
            return
        }
        command = String(decoding: line[..<end], as: UTF8.self)
        let argumentStart = line[end...].firstIndex { $0 != space } ?? line.count
        argument = String(decoding: line[argumentStart...], as: UTF8.self)
    }

    init(command: String, argument: String = "") {
        self.command = command
        self.argument = argument
    }

    /// The line as sent, CRLF included.
    var bytes: [UInt8] {
        Array((argument.isEmpty ? command : command + " " + argument).utf8) + [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    }
}
