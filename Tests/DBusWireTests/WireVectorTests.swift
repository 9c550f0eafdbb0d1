// Wire Vector Tests: our decoder and encoder against bytes from GDBus, libdbus and dbus-fast.
import DBusWire
import Foundation
import Testing

/// One message as marshalled by another implementation, with the message it means.
/// See Vectors/README.md for the JSON shape and Vectors/generate.py for where it comes from.
struct WireVector: Sendable, CustomTestStringConvertible {
    let name: String
    let producer: String
    let bytes: [UInt8]
    let unixFDsReceived: Int
    /// The header field codes in the order the producer wrote them.
    let headerFieldOrder: [UInt8]
    /// The SIGNATURE field the producer wrote ("" when absent).
    let signatureField: String
    let expected: Message

    var testDescription: String { "\(name) [\(producer), \(expected.byteOrder)]" }

    var fieldsInAscendingOrder: Bool { headerFieldOrder == headerFieldOrder.sorted() }
}

/// Loads Vectors/vectors.json once. A load failure is kept, not thrown, so that the
/// parameterised tests see no vectors and `vectorsLoad` reports the reason.
enum WireVectorFile {
    static let result: Result<[WireVector], VectorFileError> = load()
    static var vectors: [WireVector] { (try? result.get()) ?? [] }
    /// Fewer than this means the file was truncated or the generator lost a producer.
    static let minimumVectorCount = 100

    static func load() -> Result<[WireVector], VectorFileError> {
        guard let url = Bundle.module.url(forResource: "vectors", withExtension: "json", subdirectory: "Vectors")
        else { return .failure(VectorFileError(vector: "-", problem: "Vectors/vectors.json is not in the test bundle")) }
        do {
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
            guard let list = (root as? [String: Any])?["vectors"] as? [[String: Any]] else {
                return .failure(VectorFileError(vector: "-", problem: "no \"vectors\" list at the top"))
            }
            return .success(try list.map(WireVector.init(json:)))
        } catch let error as VectorFileError {
            return .failure(error)
        } catch {
            return .failure(VectorFileError(vector: "-", problem: "\(error)"))
        }
    }
}

/// Why vectors.json could not be turned into messages: which vector, and what was wrong.
struct VectorFileError: Error, CustomStringConvertible {
    let vector: String
    let problem: String
    var description: String { "vectors.json, vector \(vector): \(problem)" }
}

extension WireVector {
    init(json: [String: Any]) throws(VectorFileError) {
        let name = json["name"] as? String ?? "?"
        func fail(_ problem: String) -> VectorFileError { VectorFileError(vector: name, problem: problem) }
        guard let producer = json["producer"] as? String, let hex = json["hex"] as? String,
            let order = json["byteOrder"] as? String, let message = json["message"] as? [String: Any],
            let fields = message["fields"] as? [String: Any], let body = message["body"] as? [Any],
            let typeName = message["type"] as? String, let flags = message["flags"] as? Int,
            let serial = message["serial"] as? Int, let fieldOrder = json["headerFieldOrder"] as? [Int]
        else { throw fail("a required key is missing or has the wrong JSON type") }
        guard let bytes = Self.bytes(hex: hex) else { throw fail("hex is not an even run of hex digits") }
        let types: [String: MessageType] = [
            "method_call": .methodCall, "method_return": .methodReturn, "error": .error, "signal": .signal,
        ]
        guard let type = types[typeName] else { throw fail("unknown message type \(typeName)") }
        self.name = name
        self.producer = producer
        self.bytes = bytes
        self.unixFDsReceived = json["unixFDsReceived"] as? Int ?? 0
        self.headerFieldOrder = fieldOrder.map { UInt8($0) }
        self.signatureField = fields["signature"] as? String ?? ""
        self.expected = Message(
            type: type, serial: UInt32(serial), flags: MessageFlags(rawValue: UInt8(flags)),
            byteOrder: order == "big" ? .big : .little,
            path: fields["path"] as? String, interface: fields["interface"] as? String,
            member: fields["member"] as? String, errorName: fields["errorName"] as? String,
            replySerial: (fields["replySerial"] as? Int).map { UInt32($0) },
            destination: fields["destination"] as? String, sender: fields["sender"] as? String,
            unixFDCount: fields["unixFDs"] as? Int ?? 0,
            body: try body.map { (item) throws(VectorFileError) in try TypedJSON.value(item, in: name) })
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

/// Reads the vectors' typed JSON ({"t": signature, "v": payload}) into `DBusValue`s.
enum TypedJSON {
    private static let boolObjCType = "c"

    static func value(_ item: Any, in vector: String) throws(VectorFileError) -> DBusValue {
        guard let typed = item as? [String: Any], let t = typed["t"] as? String, let payload = typed["v"] else {
            throw VectorFileError(vector: vector, problem: "body value is not {\"t\", \"v\"}: \(item)")
        }
        let signature: Signature
        do { signature = try Signature(t) } catch {
            throw VectorFileError(vector: vector, problem: "signature \(t) rejected: \(error)")
        }
        guard signature.types.count == 1 else {
            throw VectorFileError(vector: vector, problem: "\"t\" must be one complete type, got \(t)")
        }
        guard let value = value(payload, of: signature.types[0]) else {
            throw VectorFileError(vector: vector, problem: "payload does not fit type \(t): \(payload)")
        }
        return value
    }

    /// The payload as a value of `type`, or nil if it does not fit.
    static func value(_ payload: Any, of type: SignatureType) -> DBusValue? {
        switch type {
        case .byte: return integer(payload).flatMap(UInt8.init(exactly:)).map(DBusValue.byte)
        case .boolean: return boolean(payload).map(DBusValue.boolean)
        case .int16: return integer(payload).flatMap(Int16.init(exactly:)).map(DBusValue.int16)
        case .uint16: return integer(payload).flatMap(UInt16.init(exactly:)).map(DBusValue.uint16)
        case .int32: return integer(payload).flatMap(Int32.init(exactly:)).map(DBusValue.int32)
        case .uint32: return integer(payload).flatMap(UInt32.init(exactly:)).map(DBusValue.uint32)
        case .unixFD: return integer(payload).flatMap(UInt32.init(exactly:)).map(DBusValue.unixFD)
        case .int64: return (payload as? String).flatMap { Int64($0) }.map(DBusValue.int64)
        case .uint64: return (payload as? String).flatMap { UInt64($0) }.map(DBusValue.uint64)
        case .double: return (payload as? String).flatMap { Double($0) }.map(DBusValue.double)
        case .string: return (payload as? String).map(DBusValue.string)
        case .objectPath: return (payload as? String).map(DBusValue.objectPath)
        case .signature: return (payload as? String).flatMap { try? Signature($0) }.map(DBusValue.signature)
        case .variant: return (try? value(payload, in: "variant")).map(DBusValue.variant)
        case .array(.byte):
            return (payload as? [Any]).flatMap { all($0) { integer($0).flatMap(UInt8.init(exactly:)) } }
                .map { DBusValue.bytes($0) }
        case .array(let element):
            return (payload as? [Any]).flatMap { all($0) { value($0, of: element) } }
                .map { DBusValue.array(element: element, $0) }
        case .dictionary(let key, let valueType):
            return (payload as? [Any]).flatMap { all($0) { entry($0, key: key, value: valueType) } }
                .map { DBusValue.dictionary(key: key, value: valueType, $0) }
        case .structure(let memberTypes):
            guard let members = payload as? [Any], members.count == memberTypes.count else { return nil }
            var values: [DBusValue] = []
            for (member, memberType) in zip(members, memberTypes) {
                guard let memberValue = value(member, of: memberType) else { return nil }
                values.append(memberValue)
            }
            return .structure(values)
        }
    }

    private static func entry(_ pair: Any, key: SignatureType, value valueType: SignatureType) -> DBusDictEntry? {
        guard let pair = pair as? [Any], pair.count == 2,
            let k = value(pair[0], of: key), let v = value(pair[1], of: valueType)
        else { return nil }
        return DBusDictEntry(key: k, value: v)
    }

    /// Every item converted, or nil if any one does not convert (never a silently shorter list).
    private static func all<T>(_ items: [Any], _ convert: (Any) -> T?) -> [T]? {
        var converted: [T] = []
        converted.reserveCapacity(items.count)
        for item in items {
            guard let one = convert(item) else { return nil }
            converted.append(one)
        }
        return converted
    }

    private static func integer(_ payload: Any) -> Int? {
        // JSONSerialization gives NSNumber for both, and `is Bool` holds for 0 and 1: tell
        // them apart by the boxed C type, "c" for true/false.
        guard let number = payload as? NSNumber, String(cString: number.objCType) != boolObjCType else { return nil }
        return number.intValue
    }

    private static func boolean(_ payload: Any) -> Bool? {
        guard let number = payload as? NSNumber, String(cString: number.objCType) == boolObjCType else { return nil }
        return number.boolValue
    }
}

/// The header fields of an encoded message, cut apart without interpreting them through
/// our decoder: each from its 8-aligned start to the end of its value (padding excluded).
/// Lets a GDBus or libdbus vector, whose fields are not in ascending order, be compared field by field.
struct HeaderFieldChunks: Equatable, CustomStringConvertible {
    var fixedHeader: [UInt8]
    var fields: [UInt8: [UInt8]]
    var body: [UInt8]
    /// The field codes in written order; not part of equality, which is the point.
    var order: [UInt8]

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fixedHeader == rhs.fixedHeader && lhs.fields == rhs.fields && lhs.body == rhs.body
    }

    static let fixedHeaderWithoutFieldsLength = 12
    static let fieldAlignment = 8
    static let integerAlignment = 4

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= ProtocolLimits.fixedHeaderLength else { return nil }
        let little = bytes[0] == ByteOrder.little.rawValue
        func uint32(at i: Int) -> Int? {
            guard i + 4 <= bytes.count else { return nil }
            let raw = bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }
            return little ? Int(UInt32(raw).byteSwapped) : raw
        }
        func align(_ i: Int, _ n: Int) -> Int { (i + n - 1) / n * n }
        guard let fieldsLength = uint32(at: Self.fixedHeaderWithoutFieldsLength) else { return nil }
        let fieldsEnd = ProtocolLimits.fixedHeaderLength + fieldsLength
        var offset = ProtocolLimits.fixedHeaderLength
        var fields: [UInt8: [UInt8]] = [:]
        var order: [UInt8] = []
        while offset < fieldsEnd {
            let start = align(offset, Self.fieldAlignment)
            guard start + 3 <= bytes.count else { return nil }
            let signatureLength = Int(bytes[start + 1])
            let typeCode = bytes[start + 2]
            offset = start + 3 + signatureLength
            switch typeCode {
            case UInt8(ascii: "u"):
                offset = align(offset, Self.integerAlignment) + 4
            case UInt8(ascii: "s"), UInt8(ascii: "o"):
                offset = align(offset, Self.integerAlignment)
                guard let length = uint32(at: offset) else { return nil }
                offset += 4 + length + 1
            case UInt8(ascii: "g"):
                guard offset < bytes.count else { return nil }
                offset += 1 + Int(bytes[offset]) + 1
            default:
                return nil  // no producer here writes another field type
            }
            guard offset <= bytes.count else { return nil }
            fields[bytes[start]] = Array(bytes[start..<offset])
            order.append(bytes[start])
        }
        let bodyStart = align(fieldsEnd, Self.fieldAlignment)
        guard bodyStart <= bytes.count else { return nil }
        self.fixedHeader = Array(bytes[0..<Self.fixedHeaderWithoutFieldsLength])
        self.fields = fields
        self.body = Array(bytes[bodyStart...])
        self.order = order
    }

    var description: String { "fixed \(fixedHeader), fields \(fields.keys.sorted()), body \(body.count) bytes" }
}

@Suite("Wire vectors from GDBus, libdbus and dbus-fast")
struct WireVectorTests {
    @Test("vectors.json loads, with both byte orders and every producer")
    func vectorsLoad() throws {
        let vectors = try WireVectorFile.result.get()
        #expect(vectors.count >= WireVectorFile.minimumVectorCount)
        #expect(vectors.contains { $0.expected.byteOrder == .big })
        #expect(vectors.contains { $0.producer.hasPrefix("gdbus") })
        #expect(vectors.contains { $0.producer.hasPrefix("dbus-fast") })
        #expect(vectors.contains { $0.producer.hasPrefix("libdbus") })
    }

    @Test("our decoder reads each vector as the producer meant it", arguments: WireVectorFile.vectors)
    func decodes(_ vector: WireVector) throws {
        let message = try Message(decoding: vector.bytes, unixFDsReceived: vector.unixFDsReceived)
        #expect(message == vector.expected)
        #expect(message.signature.string == vector.signatureField)
    }

    @Test("our header view validates each vector and finds its fields", arguments: WireVectorFile.vectors)
    func headerViewValidates(_ vector: WireVector) throws {
        let fieldCodes = try vector.bytes.withUnsafeBytes { buffer throws(WireError) in
            let view = try MessageHeaderView(validating: buffer, unixFDsReceived: vector.unixFDsReceived)
            #expect(view.serial == vector.expected.serial)
            #expect(view.bodyOffset + view.bodyLength == vector.bytes.count)
            #expect(try MessageFraming.messageLength(prefix: UnsafeRawBufferPointer(rebasing: buffer[0..<16])) == buffer.count)
            return HeaderFieldCode.allCases.filter { view[$0] != nil }.map(\.rawValue)
        }
        #expect(fieldCodes == vector.headerFieldOrder.sorted())
    }

    @Test("our encoder writes each vector's bytes exactly", arguments: WireVectorFile.vectors)
    func encodes(_ vector: WireVector) throws {
        let encoded = try vector.expected.encoded()
        if vector.fieldsInAscendingOrder {
            #expect(encoded == vector.bytes)
        } else {
            // Same fixed header, same bytes for every field, same body; only the order of the
            // fields (and so the fields-array length's trailing padding) may differ.
            #expect(encoded.count == vector.bytes.count)
            let ours = try #require(HeaderFieldChunks(encoded))
            let theirs = try #require(HeaderFieldChunks(vector.bytes))
            #expect(ours == theirs)
            #expect(ours.order == theirs.order.sorted())
        }
    }
}
