// Fuzz target: match rule text from a peer. Parsing must never crash, and every rule that
// parses must print a canonical text that parses back to the same rule.

@_cdecl("LLVMFuzzerTestOneInput")
public func matchRuleParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // Raw bytes as a peer sends them, invalid UTF-8 included, and the same bytes repaired into a
    // String as a client library would hand them over.
    if let rule = try? MatchRule(parsingUTF8: bytes) { checkRoundTrip(rule) }
    if let rule = try? MatchRule(parsing: String(decoding: bytes, as: UTF8.self)) { checkRoundTrip(rule) }
    return 0
}

private func checkRoundTrip(_ rule: MatchRule) {
    let text = rule.description
    let reparsed: MatchRule
    do { reparsed = try MatchRule(parsing: text, maximumLength: .max) } catch {
        fatalError("canonical text \(text.debugDescription) of \(rule) does not parse: \(error)")
    }
    if reparsed != rule { fatalError("\(text.debugDescription) parses to \(reparsed), not \(rule)") }
    _ = rule.matches(ProbeMessage())
    // A message made of the rule's own values satisfies every key; only a destination without
    // eavesdrop can never match, because addressed messages skip non-eavesdropping rules.
    let expected = rule.destination == nil || rule.eavesdrop
    if rule.matches(EchoMessage(rule)) != expected { fatalError("\(rule) misjudges a message built from itself") }
}

/// A bare broadcast signal with string arguments `/a/`, so evaluation runs on every rule that parses.
private struct ProbeMessage: MatchableMessage {
    var messageType: MessageType { .signal }
    func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        code == .path ? Array("/a/b".utf8).withUnsafeBytes { body($0) } : body(nil)
    }
    func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R {
        Array("/a/".utf8).withUnsafeBytes { body((UInt8(ascii: "s"), $0)) }
    }
}

/// The message a rule describes: its values as header fields and string arguments.
private struct EchoMessage: MatchableMessage {
    var messageType: MessageType
    var headers: [HeaderFieldCode: [UInt8]] = [:]
    var arguments: [Int: [UInt8]] = [:]

    init(_ rule: MatchRule) {
        messageType = rule.type ?? .signal
        let fields: [(HeaderFieldCode, String?)] = [
            (.sender, rule.sender), (.interface, rule.interface), (.member, rule.member),
            (.path, rule.path ?? rule.pathNamespace), (.destination, rule.destination),
        ]
        for (code, value) in fields { headers[code] = value.map { Array($0.utf8) } }
        for (index, value) in rule.arguments.merging(rule.argumentPaths, uniquingKeysWith: { a, _ in a }) {
            arguments[index] = Array(value.utf8)
        }
        if let namespace = rule.arg0Namespace { arguments[0] = Array(namespace.utf8) }
    }

    func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let bytes = headers[code] else { return body(nil) }
        return bytes.withUnsafeBytes { body($0) }
    }
    func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R {
        guard let bytes = arguments[index] else { return body(nil) }
        return bytes.withUnsafeBytes { body((UInt8(ascii: "s"), $0)) }
    }
}
