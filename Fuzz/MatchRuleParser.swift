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
    if rule == MatchRule() && !rule.matches(ProbeMessage()) { fatalError("the empty rule must match a broadcast") }
}

/// A bare broadcast signal, so evaluation runs on every rule that parses.
private struct ProbeMessage: MatchableMessage {
    var messageType: MessageType { .signal }
    func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        code == .path ? "/a/b".utf8.withContiguousStorageIfAvailable { body(UnsafeRawBufferPointer($0)) }! : body(nil)
    }
    func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R {
        "/a/".utf8.withContiguousStorageIfAvailable { body((UInt8(ascii: "s"), UnsafeRawBufferPointer($0))) }!
    }
}
