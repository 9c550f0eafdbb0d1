/// Match Rule Evaluation
///
/// Tests a message against a rule with dbus-daemon 1.14's semantics (`match_rule_matches`),
/// without allocating: header fields and arguments are compared where the message keeps them.
extension MatchRule {
    /// True when `message` satisfies every key of the rule, comparing `sender` and
    /// `destination` literally with the message's header fields. A broker that must honour
    /// well-known names uses `matches(_:senderMatches:destinationMatches:)`.
    public func matches(_ message: some MatchableMessage) -> Bool {
        matches(
            message,
            senderMatches: { name in message.withHeaderString(.sender) { Self.equal(name, $0) } },
            destinationMatches: { name in message.withHeaderString(.destination) { Self.equal(name, $0) } })
    }

    /// True when `message` satisfies every key of the rule. The closures answer for the rule's
    /// `sender` and `destination` (passed as written in the rule) and are called only when the
    /// rule has that key: dbus-daemon asks whether the sending connection is the primary owner of
    /// the name (the bus driver owning `org.freedesktop.DBus`), and for `destination` whether the
    /// addressed recipient is.
    ///
    /// A message with a destination matches only rules with `eavesdrop=true`: its recipient gets
    /// it regardless of rules. A rule with `destination` therefore never matches without eavesdrop.
    public func matches(
        _ message: some MatchableMessage,
        senderMatches: (_ ruleSender: String) -> Bool,
        destinationMatches: (_ ruleDestination: String) -> Bool
    ) -> Bool {
        if let type, type != message.messageType { return false }
        if let interface, !Self.header(.interface, of: message, equals: interface) { return false }
        if let member, !Self.header(.member, of: message, equals: member) { return false }
        if let sender, !senderMatches(sender) { return false }
        if !destinationAllows(message, destinationMatches) { return false }
        if let path, !Self.header(.path, of: message, equals: path) { return false }
        if let pathNamespace, !Self.header(.path, of: message, isInPathNamespace: pathNamespace) { return false }
        return argumentsMatch(message)
    }

    private func destinationAllows(
        _ message: some MatchableMessage, _ destinationMatches: (String) -> Bool
    ) -> Bool {
        let addressed = message.withHeaderString(.destination) { $0 != nil }
        guard addressed else { return destination == nil }
        guard eavesdrop else { return false }
        return destination.map(destinationMatches) ?? true
    }

    private func argumentsMatch(_ message: some MatchableMessage) -> Bool {
        if let arg0Namespace, !message.withStringArgument(0, { Self.argument($0, isInNamespace: arg0Namespace) }) {
            return false
        }
        for (index, expected) in arguments
        where !message.withStringArgument(index, { Self.argument($0, equals: expected) }) {
            return false
        }
        for (index, expected) in argumentPaths
        where !message.withStringArgument(index, { Self.argument($0, isPathRelatedTo: expected) }) {
            return false
        }
        return true
    }

    // MARK: - Field tests

    private static func header(_ code: HeaderFieldCode, of message: some MatchableMessage, equals expected: String) -> Bool {
        message.withHeaderString(code) { actual in actual.map { equal(expected, $0) } ?? false }
    }

    private static func header(
        _ code: HeaderFieldCode, of message: some MatchableMessage, isInPathNamespace namespace: String
    ) -> Bool {
        message.withHeaderString(code) { actual in
            guard let actual else { return false }
            return withUTF8(namespace) { MatchPrefix.isInPathNamespace(actual, namespace: $0) }
        }
    }

    /// `argN` tests strings only; an object path argument never matches it (dbus-daemon 1.14).
    private static func argument(_ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?, equals expected: String) -> Bool {
        guard let argument, argument.typeCode == UInt8(ascii: "s") else { return false }
        return equal(expected, argument.bytes)
    }

    /// `argNpath` tests strings and object paths.
    private static func argument(
        _ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?, isPathRelatedTo expected: String
    ) -> Bool {
        guard let argument, argument.typeCode == UInt8(ascii: "s") || argument.typeCode == UInt8(ascii: "o") else {
            return false
        }
        return withUTF8(expected) { MatchPrefix.arePathRelated(argument.bytes, $0) }
    }

    /// `arg0namespace` tests strings only.
    private static func argument(
        _ argument: (typeCode: UInt8, bytes: UnsafeRawBufferPointer)?, isInNamespace namespace: String
    ) -> Bool {
        guard let argument, argument.typeCode == UInt8(ascii: "s") else { return false }
        return withUTF8(namespace) { MatchPrefix.isInNameNamespace(argument.bytes, namespace: $0) }
    }

    // MARK: - Bytes

    static func equal(_ expected: String, _ actual: UnsafeRawBufferPointer?) -> Bool {
        guard let actual else { return false }
        return withUTF8(expected) { MatchPrefix.equal($0, actual) }
    }

    /// Native strings (all of them on Linux) lend their bytes in place, small ones from the stack;
    /// only a foreign string would take the copying fallback.
    static func withUTF8(_ string: String, _ body: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        if let result = string.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(string.utf8).withUnsafeBytes(body)
    }
}
