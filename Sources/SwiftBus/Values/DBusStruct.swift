/// DBus Struct
import DBusWire

/// A Swift struct that travels as a D-Bus struct, `(…)`, by declaring its field types and
/// two small methods — no macro, so builds stay fast:
///
/// ```swift
/// struct Point: DBusStruct {
///     var x: Int32, y: Int32
///     static let dbusFieldTypes: [SignatureType] = [Int32.dbusType, Int32.dbusType]
///     func encodeFields(to fields: inout DBusStructEncoder) throws { try fields.append(x); try fields.append(y) }
///     init(fields: inout DBusStructDecoder) throws { x = try fields.next(); y = try fields.next() }
/// }
/// ```
public protocol DBusStruct: DBusRepresentable {
    /// The types of the fields, in order; at least one.
    static var dbusFieldTypes: [SignatureType] { get }
    /// Appends every field, in the order of `dbusFieldTypes`.
    func encodeFields(to fields: inout DBusStructEncoder) throws
    /// Reads every field, in order.
    init(fields: inout DBusStructDecoder) throws
}

extension DBusStruct {
    public static var dbusType: SignatureType { .structure(dbusFieldTypes) }

    public func dbusValue(in context: inout DBusEncodingContext) throws -> DBusValue {
        var encoder = DBusStructEncoder(context: context)
        try encodeFields(to: &encoder)
        context = encoder.context
        let value = DBusValue.structure(encoder.values)
        guard value.type == Self.dbusType else { throw DBusTypeError.mismatch(Self.dbusType, value) }
        return value
    }

    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .structure(let values) = dbusValue, dbusValue.type == Self.dbusType else {
            throw DBusTypeError.mismatch(Self.dbusType, dbusValue)
        }
        var decoder = DBusStructDecoder(values: values, context: context)
        try self.init(fields: &decoder)
    }
}

/// Collects the fields of a `DBusStruct` being encoded.
public struct DBusStructEncoder {
    var context: DBusEncodingContext
    var values: [DBusValue] = []

    /// Appends the next field.
    public mutating func append<T: DBusRepresentable>(_ field: T) throws {
        values.append(try field.dbusValue(in: &context))
    }
}

/// Hands out the fields of a `DBusStruct` being decoded, in order.
public struct DBusStructDecoder {
    let values: [DBusValue]
    let context: DBusDecodingContext
    var index = 0

    /// Reads the next field as `T`.
    public mutating func next<T: DBusRepresentable>(_: T.Type = T.self) throws -> T {
        guard index < values.count else { throw DBusTypeError.argumentCount(expected: index + 1, found: values.count, signature: "") }
        defer { index += 1 }
        return try T(dbusValue: values[index], in: context)
    }
}
