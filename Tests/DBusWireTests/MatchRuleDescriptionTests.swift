// Match Rule Description Tests: the canonical text and its round trip.
import Testing
@testable import DBusWire

@Suite struct MatchRuleDescriptionTests {
    @Test func writesKeysInDbusDaemonsOrderWithQuotedValues() throws {
        let rule = try MatchRule(parsing: "arg2path=/p/,arg1=b,eavesdrop=true,destination=:1.3,sender=:1.2,"
            + "path_namespace=/x,member=Foo,interface=a.b,type=signal,arg0namespace=com")
        #expect(rule.description == "type='signal',interface='a.b',member='Foo',path_namespace='/x',sender=':1.2',"
            + "destination=':1.3',eavesdrop='true',arg0namespace='com',arg1='b',arg2path='/p/'")
    }

    @Test(arguments: [
        (#"arg0=Time: 8 o\'clock"#, #"arg0='Time: 8 o'\''clock'"#),
        ("member=ice'cream'", "member='icecream'"),
        ("arg0x3=v", "arg3='v'"),
        ("eavesdrop=false", ""),
        ("arg0=''", "arg0=''"),
    ])
    func canonicalText(text: String, canonical: String) throws {
        #expect(try MatchRule(parsing: text).description == canonical)
    }

    @Test(arguments: [
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='Foo',path='/bar/foo'",
        #"arg0=''\''',arg1='\',arg2=',',arg3='\\'"#,
        #"arg0=\',arg1=\,arg2=',',arg3=\\"#,
        "path='/',destination=':1.0',eavesdrop=true,arg5path='/a/',arg63=' x '",
        "arg0namespace='com.example',arg1='it''s'",
        "",
    ])
    func descriptionParsesBackToAnEqualRule(text: String) throws {
        let rule = try MatchRule(parsing: text)
        #expect(try MatchRule(parsing: rule.description) == rule)
    }

    /// Found by fuzzing: an apostrophe followed by a combining mark is one `Character`.
    @Test func escapesAnApostropheFollowedByACombiningMark() throws {
        let rule = MatchRule(arguments: [0: "'\u{0652}x"])
        #expect(rule.description == "arg0=''\\''\u{0652}x'")
        #expect(try MatchRule(parsing: rule.description) == rule)
    }

    /// dbus-daemon compares rules with strcmp; canonically equivalent spellings are different rules.
    @Test func rulesAreEqualOnlyWhenTheirBytesAre() throws {
        let composed = try MatchRule(parsing: "arg0='\u{E9}'")
        let decomposed = try MatchRule(parsing: "arg0='e\u{301}'")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(composed == MatchRule(arguments: [0: "\u{E9}"]))
    }

    /// Each apostrophe costs two bytes in the input (`\'`) but four in the canonical form, so a
    /// rule near the limit can print longer than a peer may send; re-reading it needs the limit lifted.
    @Test func descriptionBeyondThePeerLimitNeedsTheLimitLifted() throws {
        let apostrophes = (MatchRuleLimits.maxRuleLength - 5) / 2
        let rule = try MatchRule(parsing: "arg0=" + String(repeating: #"\'"#, count: apostrophes))
        #expect(rule.description.utf8.count > MatchRuleLimits.maxRuleLength)
        #expect(throws: MatchRuleError.self) { try MatchRule(parsing: rule.description) }
        #expect(try MatchRule(parsing: rule.description, maximumLength: .max) == rule)
    }
}
