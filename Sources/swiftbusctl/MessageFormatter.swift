/// Message Formatter: whole messages for `monitor` and `wait`, readable or JSON.
import SwiftBus

/// Prints a message the way `busctl monitor` does (a header line, the fields, the body in
/// busctl's value syntax) or as one line of JSON in busctl's `--json=short` shape.
enum MessageFormatter {
    static func readable(_ message: Message) -> String {
        var lines = ["‣ Type=\(typeName(message.type))  Endian=\(message.byteOrder == .little ? "l" : "B")  "
            + "Flags=\(message.flags.rawValue)  Version=1  Cookie=\(message.serial)"
            + (message.replySerial.map { "  ReplyCookie=\($0)" } ?? "")]
        var fields: [String] = []
        if let sender = message.sender { fields.append("Sender=\(sender)") }
        if let destination = message.destination { fields.append("Destination=\(destination)") }
        if let path = message.path { fields.append("Path=\(path)") }
        if let interface = message.interface { fields.append("Interface=\(interface)") }
        if let member = message.member { fields.append("Member=\(member)") }
        if let error = message.errorName { fields.append("ErrorName=\(error)") }
        if !fields.isEmpty { lines.append("  " + fields.joined(separator: "  ")) }
        let body = message.body.flatMap(BusctlValueFormatter.words).joined(separator: " ")
        lines.append("  MESSAGE \"\(message.signature.string)\"" + (body.isEmpty ? "" : " \(body)"))
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ message: Message) -> String {
        var members: [(String, String)] = [
            ("type", JSON.string(typeName(message.type))), ("endian", JSON.string(message.byteOrder == .little ? "l" : "B")),
            ("flags", "\(message.flags.rawValue)"), ("version", "1"), ("cookie", "\(message.serial)"),
        ]
        if let replySerial = message.replySerial { members.append(("reply_cookie", "\(replySerial)")) }
        if let sender = message.sender { members.append(("sender", JSON.string(sender))) }
        if let destination = message.destination { members.append(("destination", JSON.string(destination))) }
        if let path = message.path { members.append(("path", JSON.string(path))) }
        if let interface = message.interface { members.append(("interface", JSON.string(interface))) }
        if let member = message.member { members.append(("member", JSON.string(member))) }
        if let error = message.errorName { members.append(("error_name", JSON.string(error))) }
        members.append(("payload", JSON.object([
            ("type", JSON.string(message.signature.string)), ("data", JSON.array(message.body.map(JSON.value))),
        ])))
        return JSON.object(members)
    }

    static func typeName(_ type: MessageType) -> String {
        switch type {
        case .methodCall: "method_call"
        case .methodReturn: "method_return"
        case .error: "error"
        case .signal: "signal"
        }
    }
}

/// Just enough JSON writing for messages: D-Bus values as busctl's JSON shows them.
enum JSON {
    static func value(_ value: DBusValue) -> String {
        switch value {
        case .byte(let v): "\(v)"
        case .boolean(let v): v ? "true" : "false"
        case .int16(let v): "\(v)"
        case .uint16(let v): "\(v)"
        case .int32(let v): "\(v)"
        case .uint32(let v): "\(v)"
        case .int64(let v): "\(v)"
        case .uint64(let v): "\(v)"
        case .double(let v): v.isFinite ? "\(v)" : "null"
        case .string(let v), .objectPath(let v): string(v)
        case .signature(let v): string(v.string)
        case .unixFD(let v): "\(v)"
        case .bytes(let bytes): array(bytes.map { "\($0)" })
        case .array(_, let values): array(values.map(Self.value))
        case .dictionary(_, _, let entries):
            object(entries.map { entry in
                let key: String = if case .string(let text) = entry.key { text } else { BusctlValueFormatter.words(entry.key).joined(separator: " ") }
                return (key, Self.value(entry.value))
            })
        case .structure(let fields): array(fields.map(Self.value))
        case .variant(let inner): object([("type", string(inner.type.signatureString)), ("data", Self.value(inner))])
        }
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
