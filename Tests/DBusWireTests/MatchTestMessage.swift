// Match Test Message: a MatchableMessage for tests, holding its fields and arguments as bytes.
@testable import DBusWire

struct MatchTestMessage: MatchableMessage {
    var messageType: MessageType
    var headers: [HeaderFieldCode: [UInt8]] = [:]
    /// Body arguments in order, as (type code, UTF-8 bytes); numbers are stored with empty bytes.
    var arguments: [(typeCode: UInt8, bytes: [UInt8])] = []

    init(_ type: MessageType = .signal, sender: String? = ":1.7", interface: String? = "org.example.Iface",
         member: String? = "Changed", path: String? = "/org/example/obj", destination: String? = nil) {
        messageType = type
        headers[.sender] = sender.map { Array($0.utf8) }
        headers[.interface] = interface.map { Array($0.utf8) }
        headers[.member] = member.map { Array($0.utf8) }
        headers[.path] = path.map { Array($0.utf8) }
        headers[.destination] = destination.map { Array($0.utf8) }
    }

    /// Appends a string (`s`) argument.
    func string(_ value: String) -> Self { appending("s", value) }
    /// Appends an object path (`o`) argument.
    func objectPath(_ value: String) -> Self { appending("o", value) }
    /// Appends a `u` argument, which argument tests never see as a string.
    func uint32() -> Self { appending("u", "") }

    private func appending(_ code: Character, _ value: String) -> Self {
        var copy = self
        copy.arguments.append((code.asciiValue!, Array(value.utf8)))
        return copy
    }

    func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let bytes = headers[code] else { return body(nil) }
        return bytes.withUnsafeBytes { body($0) }
    }

    func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R {
        guard index < arguments.count else { return body(nil) }
        let argument = arguments[index]
        guard argument.typeCode == UInt8(ascii: "s") || argument.typeCode == UInt8(ascii: "o") else { return body(nil) }
        return argument.bytes.withUnsafeBytes { body((argument.typeCode, $0)) }
    }
}
