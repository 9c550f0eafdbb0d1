/// Collections: arrays and dictionaries as D-Bus values.
import DBusWire

extension Array: DBusRepresentable where Element: DBusRepresentable {
    public static var dbusType: SignatureType { .array(Element.dbusType) }

    /// `[UInt8]` becomes one `.bytes` buffer (`ay`), never an enum per byte.
    public func dbusValue(in context: inout DBusEncodingContext) throws -> DBusValue {
        // Test the element type, not the value: an empty [Int32] casts to [UInt8] too. Then
        // reinterpret rather than `as?`: a generic array cast checks every element (seconds
        // for 64 MiB in a debug build); with Element == UInt8 the two types are one.
        if Element.self == UInt8.self { return .bytes(unsafeBitCast(self, to: [UInt8].self)) }
        var values: [DBusValue] = []
        values.reserveCapacity(count)
        for element in self { values.append(try element.dbusValue(in: &context)) }
        return .array(element: Element.dbusType, values)
    }

    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        switch dbusValue {
        case .bytes(let bytes) where Element.self == UInt8.self:
            // Element is UInt8 (checked above), so this is the identity, in O(1).
            self = unsafeBitCast(bytes, to: [Element].self)
        case .array(let element, let values) where element == Element.dbusType:
            self = try values.map { try Element(dbusValue: $0, in: context) }
        default:
            throw DBusTypeError.mismatch(Self.dbusType, dbusValue)
        }
    }
}

extension Dictionary: DBusRepresentable where Key: DBusRepresentable, Value: DBusRepresentable {
    public static var dbusType: SignatureType { .dictionary(key: Key.dbusType, value: Value.dbusType) }

    public func dbusValue(in context: inout DBusEncodingContext) throws -> DBusValue {
        var entries: [DBusDictEntry] = []
        entries.reserveCapacity(count)
        for (key, value) in self {
            entries.append(DBusDictEntry(key: try key.dbusValue(in: &context), value: try value.dbusValue(in: &context)))
        }
        return .dictionary(key: Key.dbusType, value: Value.dbusType, entries)
    }

    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .dictionary(let key, let value, let entries) = dbusValue, key == Key.dbusType, value == Value.dbusType else {
            throw DBusTypeError.mismatch(Self.dbusType, dbusValue)
        }
        self.init(minimumCapacity: entries.count)
        for entry in entries {
            self[try Key(dbusValue: entry.key, in: context)] = try Value(dbusValue: entry.value, in: context)
        }
    }
}
