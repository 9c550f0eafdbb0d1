// Reply Templates: the server's replies, encoded once per caller and shape, then patched.
import DBusWire

/// Marshalled replies kept per (destination, member, payload length): each later reply is
/// the template with its serial, reply serial and (for Echo) payload bytes stored in place.
/// So the server costs a few stores and a copy per call, the same on every bus, as the
/// client does with `EncodedMessage`; with a `Message` encoded per reply, the one server
/// was the slowest process of the multi-client rows, whatever the bus.
struct ReplyTemplates {
    private struct Key: Hashable {
        let destination: String
        let echo: Bool
        let payloadLength: Int
    }

    private struct Template {
        var bytes: [UInt8]
        let replySerialOffset: Int
        /// Where an Echo reply's payload starts (after the `ay` length); nil for Put.
        let payloadOffset: Int?
    }

    private var templates: [Key: Template] = [:]

    /// The reply to `call` (whose payload is `payload`) with serial `serial`, appended to `output`.
    mutating func appendReply(to call: MessageHeaderView, payload: UnsafeRawBufferPointer, echo: Bool, serial: UInt32,
                              to output: inout [UInt8]) throws(BenchError) {
        let destination = call.string(.sender)?.string ?? ""
        let key = Key(destination: destination, echo: echo, payloadLength: echo ? payload.count : 0)
        if templates[key] == nil { templates[key] = try Self.template(destination: destination, echo: echo, payloadLength: key.payloadLength) }
        guard var template = templates.removeValue(forKey: key) else { return }
        template.bytes.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: serial, toByteOffset: 8, as: UInt32.self)
            bytes.storeBytes(of: call.serial, toByteOffset: template.replySerialOffset, as: UInt32.self)
            if let offset = template.payloadOffset, let source = payload.baseAddress {
                (bytes.baseAddress! + offset).copyMemory(from: source, byteCount: payload.count)
            }
        }
        output += template.bytes
        templates[key] = template
    }

    /// A reply in the host byte order (so serials are stored as native integers).
    private static func template(destination: String, echo: Bool, payloadLength: Int) throws(BenchError) -> Template {
        let body: [DBusValue] = echo ? [.bytes([UInt8](repeating: 0, count: payloadLength))] : []
        let message = Message(type: .methodReturn, serial: 1, flags: .noReplyExpected, replySerial: 1,
                              destination: destination.isEmpty ? nil : destination, body: body)
        let bytes: [UInt8]
        do { bytes = try message.encoded() } catch { throw .protocolViolation("encode reply: \(error)") }
        let view: MessageHeaderView
        do {
            view = try bytes.withUnsafeBytes { raw throws(WireError) in try MessageHeaderView(validating: raw) }
        } catch {
            throw .protocolViolation("reply template: \(error)")
        }
        guard let replySerial = view.replySerialField else { throw .protocolViolation("reply template without REPLY_SERIAL") }
        return Template(bytes: bytes, replySerialOffset: replySerial.valueOffset, payloadOffset: echo ? view.bodyOffset + 4 : nil)
    }
}
