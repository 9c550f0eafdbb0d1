// Match Rule Error Tests: every way a rule text is rejected, with the key and position reported.
import Testing
@testable import DBusWire

@Suite struct MatchRuleErrorTests {
    /// (rule text, reason, byte position, key) for every rejection the parser makes.
    static let rejections: [(String, MatchRuleError.Reason, Int, String?)] = [
        ("arg0='a\u{0}'", .nulByte, 7, nil),
        ("type", .missingEquals, 0, "type"),
        ("type='signal',,", .missingEquals, 14, ","),
        ("type='signal', member", .missingEquals, 15, "member"),
        ("=x", .missingKey, 0, nil),
        ("type='signal',=x,member='Foo'", .missingKey, 14, nil),
        ("arg0=a'b", .unbalancedQuote, 6, "arg0"),
        (#"arg0='\''"#, .unbalancedQuote, 8, "arg0"),
        ("a=b=c", .unknownKey, 0, "a"),
        ("Type='signal'", .unknownKey, 0, "Type"),
        ("type=signal,type=error", .duplicateKey, 12, "type"),
        ("sender=:1.1,sender=:1.2", .duplicateKey, 12, "sender"),
        ("interface=a.b,interface=a.b", .duplicateKey, 14, "interface"),
        ("member=A,member=B", .duplicateKey, 9, "member"),
        ("path=/a,path=/b", .duplicateKey, 8, "path"),
        ("path_namespace=/a,path_namespace=/b", .duplicateKey, 18, "path_namespace"),
        ("destination=:1.1,destination=:1.2", .duplicateKey, 17, "destination"),
        ("path='/a',path_namespace='/b'", .pathWithPathNamespace, 10, "path_namespace"),
        ("path_namespace='/b',path='/a'", .pathWithPathNamespace, 20, "path"),
        ("type='Signal'", .invalidMessageType, 5, "type"),
        ("type=''", .invalidMessageType, 5, "type"),
        ("type = 'signal'", .invalidMessageType, 6, "type"),
        ("sender='org'", .invalidName(NameError(kind: .busName, rule: .tooFewElements, offset: 0)), 7, "sender"),
        ("destination='1.x'", .invalidName(NameError(kind: .busName, rule: .elementStartsWithDigit, offset: 0)), 12, "destination"),
        ("interface='org'", .invalidName(NameError(kind: .interfaceName, rule: .tooFewElements, offset: 0)), 10, "interface"),
        ("member='a.b'", .invalidName(NameError(kind: .memberName, rule: .invalidCharacter, offset: 1)), 7, "member"),
        ("member=''", .invalidName(NameError(kind: .memberName, rule: .empty, offset: 0)), 7, "member"),
        ("path='a'", .invalidName(NameError(kind: .objectPath, rule: .missingLeadingSlash, offset: 0)), 5, "path"),
        ("path_namespace='/a/'", .invalidName(NameError(kind: .objectPath, rule: .trailingSlash, offset: 2)), 15, "path_namespace"),
        ("arg0namespace='org.'", .invalidNamespace(NameError(kind: .busName, rule: .emptyElement, offset: 4)), 14, "arg0namespace"),
        ("arg0namespace=''", .invalidNamespace(NameError(kind: .busName, rule: .empty, offset: 0)), 14, "arg0namespace"),
        ("eavesdrop='yes'", .invalidEavesdrop, 10, "eavesdrop"),
        ("eavesdrop=TRUE", .invalidEavesdrop, 10, "eavesdrop"),
        ("arg='x'", .missingArgumentNumber, 0, "arg"),
        ("argx='x'", .unparsableArgumentNumber, 0, "argx"),
        ("arg-='x'", .unparsableArgumentNumber, 0, "arg-"),
        ("arg99999999999999999999999='x'", .unparsableArgumentNumber, 0, "arg99999999999999999999999"),
        ("arg0foo='x'", .junkAfterArgumentNumber, 0, "arg0foo"),
        ("arg1namespace='x'", .junkAfterArgumentNumber, 0, "arg1namespace"),
        ("arg00namespace='x'", .junkAfterArgumentNumber, 0, "arg00namespace"),
        ("arg64='x'", .argumentNumberTooLarge(number: 64, limit: 63), 0, "arg64"),
        ("arg-1='x'", .argumentNumberTooLarge(number: UInt64.max, limit: 63), 0, "arg-1"),
        ("arg0='a',arg0='b'", .argumentRepeated(index: 0), 9, "arg0"),
        ("arg0namespace='a',arg0='b'", .argumentRepeated(index: 0), 18, "arg0"),
        ("arg0='b',arg0namespace='a'", .argumentRepeated(index: 0), 9, "arg0namespace"),
        ("arg3path='/a',arg3='b'", .argumentRepeated(index: 3), 14, "arg3"),
        ("arg0x1='a',arg1='b'", .argumentRepeated(index: 1), 11, "arg1"),
    ]

    @Test(arguments: rejections)
    func rejects(text: String, reason: MatchRuleError.Reason, position: Int, key: String?) {
        do {
            let rule = try MatchRule(parsing: text)
            Issue.record("accepted \(text.debugDescription) as \(rule)")
        } catch {
            #expect(error.reason == reason)
            #expect(error.position == position)
            #expect(error.key == key)
            #expect(error.dbusErrorName == "org.freedesktop.DBus.Error.MatchRuleInvalid")
        }
    }

    @Test func rejectsTextLongerThanTheLimitAsLimitsExceeded() {
        let text = "arg0='" + String(repeating: "x", count: MatchRuleLimits.maxRuleLength - 6) + "'"
        #expect(text.utf8.count == MatchRuleLimits.maxRuleLength + 1)
        #expect(throws: MatchRuleError(.tooLong(length: 1025, limit: 1024), position: 1024)) {
            try MatchRule(parsing: text)
        }
        #expect((try? MatchRule(parsing: String(text.dropLast(2)) + "'")) != nil)
        #expect(MatchRuleError(.tooLong(length: 1025, limit: 1024), position: 1024).dbusErrorName
            == "org.freedesktop.DBus.Error.LimitsExceeded")
    }

    @Test func rejectsInvalidUTF8AtTheFirstBadByte() {
        let bytes: [UInt8] = Array("arg0='é".utf8) + [0xFF] + Array("'".utf8)
        #expect(throws: MatchRuleError(.invalidUTF8, position: 8)) { try MatchRule(parsingUTF8: bytes) }
    }

    @Test func descriptionNamesTheRuleKeyValueAndPosition() {
        let error = MatchRuleError(.invalidEavesdrop, key: "eavesdrop", value: "yes", position: 10)
        #expect(error.description
            == "invalid match rule at byte 10: eavesdrop must be 'true' or 'false' (key 'eavesdrop', value 'yes')")
    }
}
