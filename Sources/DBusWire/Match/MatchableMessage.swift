/// Matchable Message
///
/// A message as match-rule evaluation sees it. Closure-based so that a broker can answer
/// from a received buffer without copying or allocating.
public protocol MatchableMessage {
    var messageType: MessageType { get }
    /// Calls `body` with the UTF-8 bytes of the string-valued header field `code`
    /// (sender, interface, member, path, destination, errorName), or nil when absent.
    func withHeaderString<R>(_ code: HeaderFieldCode, _ body: (UnsafeRawBufferPointer?) -> R) -> R
    /// Calls `body` with argument `index` of the body when it is a string (`s`) or object path (`o`),
    /// as its type code and UTF-8 bytes; nil when the body has no such argument or it has another type.
    func withStringArgument<R>(
        _ index: Int, _ body: (_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?) -> R
    ) -> R
}
