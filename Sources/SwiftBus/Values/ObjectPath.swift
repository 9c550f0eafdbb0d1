/// Object Path
import DBusWire

/// A D-Bus object path (`o`), checked against the path grammar when made, so a bad path
/// fails where it is written rather than when a message is sent.
public struct ObjectPath: DBusRepresentable, Hashable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The path, e.g. `/org/freedesktop/DBus`.
    public let rawValue: String

    /// The root object, `/`.
    public static let root = ObjectPath(validated: "/")

    public init(_ rawValue: String) throws {
        do { try NameValidation.validate(rawValue, as: .objectPath) } catch { throw DBusTypeError.invalidObjectPath(rawValue) }
        self.rawValue = rawValue
    }

    init(validated rawValue: String) { self.rawValue = rawValue }

    /// A literal path; an invalid literal is a programming error and stops the program.
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("invalid object path literal '\(value)'") }
    }

    /// The path one element further down, e.g. `/a` + `b` = `/a/b`.
    public func appending(_ element: String) throws -> ObjectPath {
        try ObjectPath(rawValue == "/" ? "/" + element : rawValue + "/" + element)
    }

    /// True when `self` is `ancestor` or below it.
    public func isDescendant(of ancestor: ObjectPath) -> Bool {
        ancestor.rawValue == "/" || rawValue == ancestor.rawValue || rawValue.hasPrefix(ancestor.rawValue + "/")
    }

    public var description: String { rawValue }
    public static func < (lhs: ObjectPath, rhs: ObjectPath) -> Bool { lhs.rawValue < rhs.rawValue }

    public static var dbusType: SignatureType { .objectPath }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .objectPath(rawValue) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .objectPath(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self.rawValue = v
    }
}
