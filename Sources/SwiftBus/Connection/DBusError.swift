/// DBus Error
import DBusWire

/// An error reply: the D-Bus error name (e.g. `org.freedesktop.DBus.Error.ServiceUnknown`)
/// and the human-readable message that conventionally comes as its first string argument.
/// Calls throw it when the other side answered with an error; method handlers throw it to
/// answer with that name (any other Swift error becomes `org.freedesktop.DBus.Error.Failed`).
public struct DBusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error name, e.g. `org.freedesktop.DBus.Error.UnknownMethod`.
    public var name: String
    /// The explanation, or empty when the reply carried none.
    public var message: String

    public init(name: String, message: String = "") {
        self.name = name
        self.message = message
    }

    public var description: String { message.isEmpty ? name : "\(name): \(message)" }

    /// The well-known error names, as the specification lists them.
    public static let failed = "org.freedesktop.DBus.Error.Failed"
    public static let serviceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
    public static let nameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
    public static let noReply = "org.freedesktop.DBus.Error.NoReply"
    public static let unknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"
    public static let unknownObject = "org.freedesktop.DBus.Error.UnknownObject"
    public static let unknownInterface = "org.freedesktop.DBus.Error.UnknownInterface"
    public static let unknownProperty = "org.freedesktop.DBus.Error.UnknownProperty"
    public static let propertyReadOnly = "org.freedesktop.DBus.Error.PropertyReadOnly"
    public static let invalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
    public static let matchRuleNotFound = "org.freedesktop.DBus.Error.MatchRuleNotFound"
    public static let accessDenied = "org.freedesktop.DBus.Error.AccessDenied"

    /// The error an error reply carries.
    init(reply: Message) {
        var text = ""
        if case .string(let first)? = reply.body.first { text = first }
        self.init(name: reply.errorName ?? DBusError.failed, message: text)
    }
}
