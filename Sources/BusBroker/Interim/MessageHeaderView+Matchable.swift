// Matchable Header View (interim)
//
// How match rules read a received message in place. Comes with the real MatchIndex in
// Match/; delete this folder when it lands.
import DBusWire

extension MessageHeaderView: MatchableMessage {
    public var messageType: MessageType { type }

    public func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        body(string(code)?.bytes)
    }

    public func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R {
        let signature = self.signature.bytes
        var reader = WireReader(
            buffer: buffer, byteOrder: byteOrder, position: bodyOffset, limit: bodyOffset + bodyLength,
            unixFDCount: unixFDCount)
        var position = 0
        var argument = 0
        // Walks leading arguments; only strings and paths can be skipped cheaply here, and
        // rules only look at the leading string arguments, so anything else ends the walk.
        while position < signature.count {
            let code = signature[position]
            guard code == UInt8(ascii: "s") || code == UInt8(ascii: "o") else { return body(nil) }
            let value: WireString
            do throws(WireError) {
                value = code == UInt8(ascii: "s") ? try reader.readString() : try reader.readObjectPath()
            } catch {
                return body(nil)
            }
            if argument == index { return body((code, value.bytes)) }
            argument += 1
            position += 1
        }
        return body(nil)
    }
}
