/// Basic Types: integers, Bool, Double and String as D-Bus values.
import DBusWire

extension UInt8: DBusRepresentable {
    public static var dbusType: SignatureType { .byte }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .byte(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .byte(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension Bool: DBusRepresentable {
    public static var dbusType: SignatureType { .boolean }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .boolean(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .boolean(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension Int16: DBusRepresentable {
    public static var dbusType: SignatureType { .int16 }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .int16(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .int16(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension UInt16: DBusRepresentable {
    public static var dbusType: SignatureType { .uint16 }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .uint16(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .uint16(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension Int32: DBusRepresentable {
    public static var dbusType: SignatureType { .int32 }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .int32(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .int32(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension UInt32: DBusRepresentable {
    public static var dbusType: SignatureType { .uint32 }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .uint32(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .uint32(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension Int64: DBusRepresentable {
    public static var dbusType: SignatureType { .int64 }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .int64(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .int64(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension UInt64: DBusRepresentable {
    public static var dbusType: SignatureType { .uint64 }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .uint64(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .uint64(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension Double: DBusRepresentable {
    public static var dbusType: SignatureType { .double }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .double(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .double(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension String: DBusRepresentable {
    public static var dbusType: SignatureType { .string }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .string(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .string(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}

extension Signature: DBusRepresentable {
    public static var dbusType: SignatureType { .signature }
    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue { .signature(self) }
    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .signature(let v) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self = v
    }
}
