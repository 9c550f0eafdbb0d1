// Command Line Error
//
// Why swiftbusd refused its arguments.

/// Why a command line was refused. Messages are dbus-daemon's.
public enum CommandLineError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownOption(String)
    case missingValue(option: String)
    case unexpectedValue(option: String)
    /// A second `--address`, config source or descriptor.
    case conflict(option: String, already: String)
    case invalidDescriptor(String)
    /// A numeric option's value is not a number in `range`.
    case invalidNumber(option: String, text: String, range: String)

    public var description: String {
        switch self {
        case .unknownOption(let argument): "unknown option \(argument)"
        case .missingValue(let option): "\(option) needs a value"
        case .unexpectedValue(let option): "\(option) does not take a value"
        case .conflict(let option, let already): "--\(option) specified but \(already) already requested"
        case .invalidDescriptor(let text): "Invalid file descriptor: \"\(text)\""
        case .invalidNumber(let option, let text, let range): "--\(option)=\(text): expected a whole number in \(range)"
        }
    }
}
