// KDBus Negotiation Error: why a negotiation line was not accepted.

/// A kdbus negotiation line (the SASL extension command or its reply) broke a rule of
/// docs/kdbus-transport.md §2; names the parameter and what was wrong with it.
public struct KDBusNegotiationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The line is not `SWIFTBUS_KDBUS …` / `AGREE_SWIFTBUS_KDBUS …`; carries the word found.
        case wrongCommand(String)
        /// A parameter is not `key=value`.
        case malformed(String)
        /// A key appears twice.
        case duplicate
        /// A required key is absent.
        case missing
        /// A value is not a decimal number.
        case notANumber(String)
        /// A number outside `range`.
        case outOfRange(value: Int, range: ClosedRange<Int>)
        /// The version is not one this side speaks.
        case unsupportedVersion(Int)
        /// A metadata name not defined in the version spoken.
        case unknownMetadataItem(String)
        /// More than `KDBusLimits.maxParameters` parameters, or a value longer than `KDBusLimits.maxParameterLength`.
        case tooLong
        /// The server's reply grants more than the client offered (a pool larger than asked).
        case grantExceedsOffer(granted: Int, offered: Int)
    }

    public var problem: Problem
    /// The parameter key (`pool`, `arena`, …), or "line" for the line as a whole.
    public var parameter: String

    public init(_ problem: Problem, parameter: String) {
        self.problem = problem
        self.parameter = parameter
    }

    public var description: String { "kdbus negotiation: \(parameter): \(problem)" }
}
