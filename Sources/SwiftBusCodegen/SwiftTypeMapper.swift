/// Swift Type Mapper: D-Bus types → the Swift types SwiftBus marshals.
import DBusWire

/// Maps D-Bus types to SwiftBus types (`i` → `Int32`, `a{sv}` → `[String: Variant]`, …).
/// Structs have no Swift spelling as tuples (a tuple cannot conform to a protocol), so each
/// distinct struct type becomes a generated `DBusStruct`, named after its first use and
/// shared by every later use of the same signature.
struct SwiftTypeMapper {
    /// A struct to emit: its Swift name and field types.
    struct GeneratedStruct {
        let name: String
        let signature: String
        let fieldTypes: [String]
    }

    private(set) var structs: [GeneratedStruct] = []
    private var structNames: [SignatureType: String] = [:]
    private var scope: NameScope

    /// The type the structs are nested in; uses name them through it.
    private let owner: String

    init(owner: String, reserved: Set<String>) {
        self.owner = owner
        scope = NameScope(reserved: reserved)
    }

    /// The Swift type of one complete D-Bus type; `member` names the use, for errors and struct names.
    mutating func swiftType(of signature: String, member: String, use: String) throws(CodegenError) -> String {
        let parsed: Signature
        do { parsed = try Signature(signature) } catch {
            throw .invalidType(member: member, type: signature, reason: "\(error)")
        }
        guard parsed.types.count == 1 else {
            throw .invalidType(member: member, type: signature, reason: "\(parsed.types.count) complete types")
        }
        return try swiftType(of: parsed.types[0], structName: SwiftNames.upperCamel(member) + SwiftNames.upperCamel(use), member: member)
    }

    mutating func swiftType(of type: SignatureType, structName: String, member: String) throws(CodegenError) -> String {
        switch type {
        case .byte: "UInt8"
        case .boolean: "Bool"
        case .int16: "Int16"
        case .uint16: "UInt16"
        case .int32: "Int32"
        case .uint32: "UInt32"
        case .int64: "Int64"
        case .uint64: "UInt64"
        case .double: "Double"
        case .string: "String"
        case .objectPath: "ObjectPath"
        case .signature: "Signature"
        case .unixFD: "UnixFD"
        case .variant: "Variant"
        case .array(let element): "[\(try swiftType(of: element, structName: structName + "Element", member: member))]"
        case .dictionary(.unixFD, _):
            // A Swift dictionary key must be Hashable; an owned descriptor is not.
            throw CodegenError.unsupportedType(member: member, type: type.signatureString, reason: "a dictionary keyed by file descriptors has no Swift type")
        case .dictionary(let key, let value):
            "[\(try swiftType(of: key, structName: structName + "Key", member: member)): "
                + "\(try swiftType(of: value, structName: structName + "Value", member: member))]"
        case .structure(let fields): try structType(fields, named: structName, member: member)
        }
    }

    private mutating func structType(_ fields: [SignatureType], named base: String, member: String) throws(CodegenError) -> String {
        let type = SignatureType.structure(fields)
        if let existing = structNames[type] { return existing }
        let name = scope.claim(base)
        let qualified = owner + "." + name
        structNames[type] = qualified
        var fieldTypes: [String] = []
        for (index, field) in fields.enumerated() {
            fieldTypes.append(try swiftType(of: field, structName: name + "Field\(index)", member: member))
        }
        structs.append(GeneratedStruct(name: name, signature: type.signatureString, fieldTypes: fieldTypes))
        return qualified
    }
}
