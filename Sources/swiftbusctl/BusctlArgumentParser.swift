/// Busctl Argument Parser: busctl's command-line value syntax → D-Bus values.
import SwiftBus

/// Reads values in busctl's syntax, driven by a signature: basic values are one word each;
/// an array is its element count then its elements (`as 2 a b`); a dictionary is its entry
/// count then key, value pairs (`a{sv} 1 k s v`); a variant is a signature then a value
/// (`v i 3`); a struct is its fields in order. The words come from the user, so every
/// malformed one is an error that names it.
struct BusctlArgumentParser {
    /// How deep containers may nest, from the specification (32 arrays + 32 structs).
    static let maximumDepth = 64

    private let words: [String]
    private var index = 0

    init(_ words: [String]) { self.words = words }

    /// Parses all of `words` as values of `signature`; leftover words are an error.
    static func parse(signature: String, words: [String]) throws(BusctlError) -> [DBusValue] {
        let parsed: Signature
        do { parsed = try Signature(signature) } catch { throw .invalidSignature(signature, "\(error)") }
        var parser = BusctlArgumentParser(words)
        var values: [DBusValue] = []
        for type in parsed.types { values.append(try parser.value(of: type, depth: 0)) }
        guard parser.index == words.count else { throw .tooManyParameters(extra: Array(words[parser.index...])) }
        return values
    }

    private mutating func nextWord(for type: SignatureType) throws(BusctlError) -> String {
        guard index < words.count else { throw .tooFewParameters(missing: type.signatureString) }
        defer { index += 1 }
        return words[index]
    }

    mutating func value(of type: SignatureType, depth: Int) throws(BusctlError) -> DBusValue {
        guard depth <= Self.maximumDepth else { throw .tooDeep(limit: Self.maximumDepth) }
        switch type {
        case .byte: return .byte(try integer(UInt8.self, type))
        case .boolean: return .boolean(try boolean())
        case .int16: return .int16(try integer(Int16.self, type))
        case .uint16: return .uint16(try integer(UInt16.self, type))
        case .int32: return .int32(try integer(Int32.self, type))
        case .uint32: return .uint32(try integer(UInt32.self, type))
        case .int64: return .int64(try integer(Int64.self, type))
        case .uint64: return .uint64(try integer(UInt64.self, type))
        case .double:
            let word = try nextWord(for: type)
            guard let number = Double(word) else { throw .invalidValue(word, type: "d") }
            return .double(number)
        case .string: return .string(try nextWord(for: type))
        case .objectPath:
            let word = try nextWord(for: type)
            guard (try? ObjectPath(word)) != nil else { throw .invalidValue(word, type: "o") }
            return .objectPath(word)
        case .signature:
            let word = try nextWord(for: type)
            guard let signature = try? Signature(word) else { throw .invalidValue(word, type: "g") }
            return .signature(signature)
        case .unixFD: throw .unsupported("file descriptors ('h') cannot be given on the command line")
        case .variant:
            let word = try nextWord(for: type)
            guard let signature = try? Signature(word), signature.types.count == 1 else {
                throw .invalidValue(word, type: "variant signature (one complete type)")
            }
            return .variant(try value(of: signature.types[0], depth: depth + 1))
        case .array(let element):
            let count = try elementCount(type)
            if element == .byte {
                var bytes: [UInt8] = []
                for _ in 0..<count { bytes.append(try integer(UInt8.self, .byte)) }
                return .bytes(bytes)
            }
            var values: [DBusValue] = []
            for _ in 0..<count { values.append(try value(of: element, depth: depth + 1)) }
            return .array(element: element, values)
        case .dictionary(let key, let valueType):
            let count = try elementCount(type)
            var entries: [DBusDictEntry] = []
            for _ in 0..<count {
                let keyValue = try value(of: key, depth: depth + 1)
                entries.append(DBusDictEntry(key: keyValue, value: try value(of: valueType, depth: depth + 1)))
            }
            return .dictionary(key: key, value: valueType, entries)
        case .structure(let fields):
            var values: [DBusValue] = []
            for field in fields { values.append(try value(of: field, depth: depth + 1)) }
            return .structure(values)
        }
    }

    /// An array's element count: a count cannot exceed the words that are left, so a huge
    /// number fails here instead of looping.
    private mutating func elementCount(_ type: SignatureType) throws(BusctlError) -> Int {
        let word = try nextWord(for: type)
        guard let count = Int(word), count >= 0 else { throw .invalidValue(word, type: "array count") }
        guard count <= words.count - index else { throw .tooFewParameters(missing: type.signatureString) }
        return count
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type, _ type: SignatureType) throws(BusctlError) -> T {
        let word = try nextWord(for: type)
        // busctl (safe_atou and friends) takes decimal and 0x hexadecimal.
        let parsed: T? = word.hasPrefix("0x") ? T(word.dropFirst(2), radix: 16)
            : word.hasPrefix("-0x") ? T("-" + word.dropFirst(3), radix: 16) : T(word)
        guard let parsed else { throw .invalidValue(word, type: type.signatureString) }
        return parsed
    }

    private mutating func boolean() throws(BusctlError) -> Bool {
        let word = try nextWord(for: .boolean)
        switch word.lowercased() {
        case "1", "yes", "y", "true", "t", "on": return true
        case "0", "no", "n", "false", "f", "off": return false
        default: throw .invalidValue(word, type: "b")
        }
    }
}
