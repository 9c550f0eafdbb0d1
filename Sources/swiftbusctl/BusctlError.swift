/// Busctl Error: what went wrong, as the one line swiftbusctl prints.
import SwiftBus

/// A failure of a swiftbusctl command, worded for the person at the terminal.
enum BusctlError: Error, CustomStringConvertible {
    case invalidSignature(String, String)
    case tooFewParameters(missing: String)
    case tooManyParameters(extra: [String])
    case invalidValue(String, type: String)
    case tooDeep(limit: Int)
    case unsupported(String)
    case invalidArgument(String)
    /// The bus answered with an error.
    case callFailed(String)

    var description: String {
        switch self {
        case .invalidSignature(let signature, let reason): "invalid signature '\(signature)': \(reason)"
        case .tooFewParameters(let missing): "too few parameters for signature (a value of type '\(missing)' is missing)"
        case .tooManyParameters(let extra): "too many parameters for signature: \(extra.joined(separator: " "))"
        case .invalidValue(let word, let type): "cannot parse '\(word)' as \(type)"
        case .tooDeep(let limit): "values nest deeper than \(limit) containers"
        case .unsupported(let what): what
        case .invalidArgument(let what): what
        case .callFailed(let what): "call failed: \(what)"
        }
    }
}
