/// Variant
import DBusWire

/// A value of any D-Bus type together with its type (`v`): what `Properties.Get` returns
/// and what `a{sv}` dictionaries hold. Make one from any `DBusRepresentable` and read it
/// back with `get(_:)`, which checks the type.
public struct Variant: DBusRepresentable, Hashable, CustomStringConvertible {
    /// The value inside, with its type.
    public let value: DBusValue
    /// Descriptors the value refers to by index, when it came from or goes into a message.
    let context: DBusDecodingContext

    /// Wraps a raw D-Bus value.
    public init(_ value: DBusValue) {
        self.value = value
        self.context = DBusDecodingContext()
    }

    /// Wraps a typed value. A value that carries file descriptors keeps them with it.
    public init<T: DBusRepresentable>(_ typed: T) throws {
        var encoding = DBusEncodingContext()
        self.value = try typed.dbusValue(in: &encoding)
        self.context = DBusDecodingContext(fileDescriptors: encoding.fileDescriptors)
    }

    init(value: DBusValue, context: DBusDecodingContext) {
        self.value = value
        self.context = context
    }

    /// The value as `T`; throws when the variant holds another type.
    public func get<T: DBusRepresentable>(_: T.Type = T.self) throws -> T {
        try T(dbusValue: value, in: context)
    }

    /// The D-Bus type of the value inside.
    public var type: SignatureType { value.type }

    public var description: String { "<\(value.type.signatureString)> \(value)" }
    public static func == (lhs: Variant, rhs: Variant) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    public static var dbusType: SignatureType { .variant }

    public func dbusValue(in context: inout DBusEncodingContext) -> DBusValue {
        .variant(Variant.reindex(value, from: self.context, into: &context))
    }

    public init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .variant(let inner) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        self.init(value: inner, context: context)
    }

    /// Renumbers the fd indices of `value` from the variant's own list into the message's.
    static func reindex(_ value: DBusValue, from source: DBusDecodingContext, into target: inout DBusEncodingContext) -> DBusValue {
        if source.fileDescriptors.isEmpty { return value }
        switch value {
        case .unixFD(let index):
            guard let fd = try? source.fileDescriptor(at: index) else { return value }
            return .unixFD(target.attach(fd))
        case .array(let element, let values):
            return .array(element: element, values.map { reindex($0, from: source, into: &target) })
        case .dictionary(let key, let valueType, let entries):
            return .dictionary(key: key, value: valueType, entries.map {
                DBusDictEntry(key: reindex($0.key, from: source, into: &target), value: reindex($0.value, from: source, into: &target))
            })
        case .structure(let fields): return .structure(fields.map { reindex($0, from: source, into: &target) })
        case .variant(let inner): return .variant(reindex(inner, from: source, into: &target))
        default: return value
        }
    }
}
