// Match Rule Parsing Tests: every key, the quoting rules, and dbus-daemon 1.14's grey areas.
import Testing
@testable import DBusWire

@Suite struct MatchRuleParsingTests {
    @Test func parsesTheSpecificationsCompleteExample() throws {
        let rule = try MatchRule(parsing: "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
            + "member='Foo',path='/bar/foo',destination=':452345.34',arg2='bar'")
        #expect(rule == MatchRule(
            type: .signal, sender: "org.freedesktop.DBus", interface: "org.freedesktop.DBus", member: "Foo",
            path: "/bar/foo", destination: ":452345.34", arguments: [2: "bar"]))
    }

    @Test func parsesEveryRemainingKey() throws {
        let rule = try MatchRule(parsing: "path_namespace='/com/example',arg0namespace='com.example',"
            + "arg1path='/aa/bb/',arg63='last',eavesdrop='true'")
        #expect(rule.pathNamespace == "/com/example")
        #expect(rule.arg0Namespace == "com.example")
        #expect(rule.argumentPaths == [1: "/aa/bb/"])
        #expect(rule.arguments == [63: "last"])
        #expect(rule.eavesdrop)
        #expect(rule.path == nil && rule.type == nil)
    }

    @Test(arguments: [
        ("method_call", MessageType.methodCall), ("method_return", .methodReturn), ("error", .error), ("signal", .signal),
    ])
    func parsesEveryMessageType(name: String, type: MessageType) throws {
        #expect(try MatchRule(parsing: "type='\(name)'").type == type)
    }

    @Test func quotedFormFromTheSpecification() throws {
        let rule = try MatchRule(parsing: #"arg0=''\''',arg1='\',arg2=',',arg3='\\'"#)
        #expect(rule.arguments == [0: "'", 1: #"\"#, 2: ",", 3: #"\\"#])
    }

    /// The specification says this means the same as the quoted form; dbus-daemon 1.14.10 keeps
    /// `\,` together, so arg1 swallows arg2. We follow dbus-daemon.
    @Test func unquotedFormFromTheSpecificationAsDbusDaemonReadsIt() throws {
        let rule = try MatchRule(parsing: #"arg0=\',arg1=\,arg2=',',arg3=\\"#)
        #expect(rule.arguments == [0: "'", 1: #"\,arg2=,"#, 3: #"\\"#])
    }

    @Test(arguments: [
        (#"arg0=\'"#, "'"),
        (#"arg0='\\'"#, #"\\"#),
        ("arg0='a,b'", "a,b"),
        ("arg0=ice'cream'", "icecream"),
        ("arg0='a'b'c'", "abc"),
        (#"arg0=Time: 8 o\'clock"#, "Time: 8 o'clock"),
        (#"arg0=escap\e"#, #"escap\e"#),
        (#"arg0=x\"#, #"x\"#),
        ("arg0=", ""),
        ("arg0=''", ""),
        ("arg0= spaced ", " spaced "),
        ("arg0='comma,type=comma'", "comma,type=comma"),
    ])
    func unquotesValues(text: String, value: String) throws {
        #expect(try MatchRule(parsing: text).arguments[0] == value)
    }

    @Test func whitespaceBeforeKeysAndAroundEqualsIsSkipped() throws {
        let rule = try MatchRule(parsing: " \t\ntype ='signal',\r\n member\t=Foo,")
        #expect(rule == MatchRule(type: .signal, member: "Foo"))
    }

    @Test func whitespaceAfterAValueBelongsToIt() {
        #expect(throws: MatchRuleError(.invalidMessageType, key: "type", value: "signal ", position: 5)) {
            try MatchRule(parsing: "type='signal' ,member='X'")
        }
    }

    @Test(arguments: ["", "   \t", "type='signal',"])
    func emptyRulesAndTrailingCommasAreAccepted(text: String) throws {
        #expect(try MatchRule(parsing: text).arguments.isEmpty)
    }

    @Test func eavesdropMayBeRepeatedAndTheLastWins() throws {
        #expect(try MatchRule(parsing: "eavesdrop='true',eavesdrop='false'").eavesdrop == false)
        #expect(try MatchRule(parsing: "eavesdrop=false,eavesdrop=true").eavesdrop)
    }

    /// dbus-daemon reads the number with strtoul(…, 0); checked against dbus-daemon 1.14.10.
    @Test(arguments: [("arg0x3", 3), ("arg010", 8), ("arg-0", 0), ("arg+5", 5), ("arg07", 7), ("arg63", 63)])
    func argumentNumbersAreReadLikeStrtoul(key: String, index: Int) throws {
        #expect(try MatchRule(parsing: "\(key)='v'").arguments == [index: "v"])
        #expect(try MatchRule(parsing: "\(key)path='/v'").argumentPaths == [index: "/v"])
    }

    @Test(arguments: ["org", ":1", "com.example", "a-b._c"])
    func arg0NamespaceNeedsNoDot(value: String) throws {
        #expect(try MatchRule(parsing: "arg0namespace='\(value)'").arg0Namespace == value)
    }

    @Test func uniqueNameWithOneElementIsAcceptedAsDbusDaemonDoes() throws {
        #expect(try MatchRule(parsing: "sender=':1',destination=':2'").sender == ":1")
    }

    /// dbus-daemon keeps only the first sixteen pairs and drops the rest silently; we keep them all.
    @Test func everyPairIsHonouredBeyondSixteen() throws {
        let text = (0...MatchRuleLimits.maxArgumentIndex).map { "arg\($0)='v\($0)'" }.joined(separator: ",")
        let rule = try MatchRule(parsing: text, maximumLength: .max)
        #expect(rule.arguments.count == MatchRuleLimits.maxArgumentIndex + 1)
        #expect(rule.arguments[MatchRuleLimits.maxArgumentIndex] == "v63")
    }

    @Test func parsesUTF8Bytes() throws {
        let rule = try MatchRule(parsingUTF8: Array("arg0='grüß'".utf8))
        #expect(rule.arguments[0] == "grüß")
    }

    @Test func exactKeysCarryTheIndexableKeysOnly() throws {
        let rule = try MatchRule(parsing: "type=signal,sender=:1.2,interface=a.b,member=M,path=/p,destination=:1.3,"
            + "arg0=x,eavesdrop=true")
        #expect(rule.exactKeys == MatchExactKeys(
            type: .signal, sender: ":1.2", interface: "a.b", member: "M", path: "/p", destination: ":1.3"))
        #expect(try MatchRule(parsing: "path_namespace=/p,arg0=x").exactKeys == MatchExactKeys())
    }
}
