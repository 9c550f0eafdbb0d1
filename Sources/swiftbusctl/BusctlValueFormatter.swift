/// Busctl Value Formatter: D-Bus values printed the way busctl prints them.
import Foundation
import SwiftBus

/// busctl's one-line format: basic values in order, strings quoted and C-escaped, an array
/// as its count then its elements, a variant as its signature then its value, structs and
/// dictionary entries flattened.
enum BusctlValueFormatter {
    /// `signature value…`, as `busctl call` and `get-property` print a body.
    static func line(_ values: [DBusValue]) -> String {
        let signature = Signature(types: values.map(\.type)).string
        return values.isEmpty ? "" : ([signature] + values.flatMap(words)).joined(separator: " ")
    }

    /// The words of one value, without its signature.
    static func words(_ value: DBusValue) -> [String] {
        switch value {
        case .byte(let v): ["\(v)"]
        case .boolean(let v): [v ? "true" : "false"]
        case .int16(let v): ["\(v)"]
        case .uint16(let v): ["\(v)"]
        case .int32(let v): ["\(v)"]
        case .uint32(let v): ["\(v)"]
        case .int64(let v): ["\(v)"]
        case .uint64(let v): ["\(v)"]
        case .double(let v): [String(format: "%g", v)]
        case .string(let v), .objectPath(let v): [quoted(v)]
        case .signature(let v): [quoted(v.string)]
        case .unixFD(let v): ["\(v)"]
        case .bytes(let bytes): ["\(bytes.count)"] + bytes.map { "\($0)" }
        case .array(_, let values): ["\(values.count)"] + values.flatMap(words)
        case .dictionary(_, _, let entries): ["\(entries.count)"] + entries.flatMap { words($0.key) + words($0.value) }
        case .structure(let fields): fields.flatMap(words)
        case .variant(let inner): [inner.type.signatureString] + words(inner)
        }
    }

    /// systemd's cescape in quotes: C escapes, and `\xNN` for other bytes outside printable ASCII.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for byte in text.utf8 {
            switch byte {
            case 0x07: result += "\\a"
            case 0x08: result += "\\b"
            case 0x0C: result += "\\f"
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0x0B: result += "\\v"
            case UInt8(ascii: "\\"): result += "\\\\"
            case UInt8(ascii: "\""): result += "\\\""
            case UInt8(ascii: "'"): result += "\\'"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(byte))
            default: result += "\\x" + String(byte, radix: 16).leftPadded(to: 2)
            }
        }
        return result + "\""
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
