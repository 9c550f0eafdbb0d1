// Match Rule Evaluation Tests: each key against messages, with the specification's example tables.
import Testing
@testable import DBusWire

@Suite struct MatchRuleEvaluationTests {
    private func rule(_ text: String) throws -> MatchRule { try MatchRule(parsing: text) }

    @Test func emptyRuleMatchesEveryBroadcast() throws {
        #expect(try rule("").matches(MatchTestMessage(.signal)))
        #expect(try rule("").matches(MatchTestMessage(.methodCall, interface: nil, member: nil, path: nil)))
    }

    @Test func typeMustBeEqual() throws {
        #expect(try rule("type='signal'").matches(MatchTestMessage(.signal)))
        #expect(try !rule("type='method_call'").matches(MatchTestMessage(.signal)))
        #expect(try rule("type='error'").matches(MatchTestMessage(.error)))
    }

    @Test(arguments: [
        ("interface='org.example.Iface'", true), ("interface='org.example.Other'", false),
        ("member='Changed'", true), ("member='Change'", false),
        ("path='/org/example/obj'", true), ("path='/org/example'", false),
        ("sender=':1.7'", true), ("sender=':1.70'", false), ("sender='org.example.Name'", false),
    ])
    func headerFieldsMustBeEqual(text: String, expected: Bool) throws {
        #expect(try rule(text).matches(MatchTestMessage()) == expected)
    }

    @Test(arguments: ["interface='org.example.Iface'", "member='Changed'", "path='/org/example/obj'", "sender=':1.7'",
                      "path_namespace='/'"])
    func aMissingHeaderFieldNeverMatches(text: String) throws {
        let bare = MatchTestMessage(sender: nil, interface: nil, member: nil, path: nil)
        #expect(try !rule(text).matches(bare))
    }

    /// The specification's example, plus dbus-daemon's rule that `/` is the namespace of every path.
    @Test(arguments: [
        ("/com/example/foo", "/com/example/foo", true),
        ("/com/example/foo", "/com/example/foo/bar", true),
        ("/com/example/foo", "/com/example/foobar", false),
        ("/com/example/foo", "/com/example", false),
        ("/", "/", true),
        ("/", "/anything/below", true),
    ])
    func pathNamespace(namespace: String, path: String, expected: Bool) throws {
        #expect(try rule("path_namespace='\(namespace)'").matches(MatchTestMessage(path: path)) == expected)
    }

    /// The specification's table for arg0path='/aa/bb/', and the same with no trailing slash.
    @Test(arguments: [
        ("/aa/bb/", "/", true), ("/aa/bb/", "/aa/", true), ("/aa/bb/", "/aa/bb/", true),
        ("/aa/bb/", "/aa/bb/cc/", true), ("/aa/bb/", "/aa/bb/cc", true),
        ("/aa/bb/", "/aa/b", false), ("/aa/bb/", "/aa", false), ("/aa/bb/", "/aa/bb", false),
        ("/aa/bb", "/aa/bb", true), ("/aa/bb", "/aa/", true), ("/aa/bb", "/aa/bb/cc", false), ("/aa/bb", "/aa/bbc", false),
        ("", "", true), ("", "/", false),
    ])
    func argumentPath(expected: String, actual: String, matches: Bool) throws {
        let rule = try rule("arg0path='\(expected)'")
        #expect(rule.matches(MatchTestMessage().string(actual)) == matches)
        #expect(rule.matches(MatchTestMessage().objectPath(actual)) == matches, "object path arguments too")
    }

    @Test func argumentPathNeedsAStringOrObjectPathArgument() throws {
        #expect(try !rule("arg0path='/'").matches(MatchTestMessage().uint32()))
        #expect(try !rule("arg1path='/'").matches(MatchTestMessage().string("/")))
    }

    /// The specification's example for NameOwnerChanged.
    @Test(arguments: [
        ("com.example.backend1.foo", true), ("com.example.backend1.foo.bar", true), ("com.example.backend1", true),
        ("com.example.backend1foo", false), ("com.example.backend2", false), ("com.example", false),
    ])
    func arg0Namespace(name: String, expected: Bool) throws {
        let rule = try rule("member='Changed',arg0namespace='com.example.backend1'")
        #expect(rule.matches(MatchTestMessage().string(name).string("").string(":1.4")) == expected)
    }

    @Test func arg0NamespaceTestsStringsOnly() throws {
        #expect(try !rule("arg0namespace='com'").matches(MatchTestMessage().objectPath("/com")))
        #expect(try !rule("arg0namespace='com'").matches(MatchTestMessage()))
    }

    @Test func argumentMustBeAnEqualString() throws {
        let rule = try rule("arg0='a',arg2='c'")
        #expect(rule.matches(MatchTestMessage().string("a").uint32().string("c")))
        #expect(!rule.matches(MatchTestMessage().string("a").uint32().string("C")))
        #expect(!rule.matches(MatchTestMessage().string("ab").uint32().string("c")))
        #expect(!rule.matches(MatchTestMessage().string("a").uint32()), "missing argument")
    }

    /// dbus-daemon 1.14: argN tests strings only, argNpath strings and object paths.
    @Test func argumentDoesNotMatchAnObjectPath() throws {
        #expect(try !rule("arg0='/a'").matches(MatchTestMessage().objectPath("/a")))
        #expect(try rule("arg0='/a'").matches(MatchTestMessage().string("/a")))
    }

    @Test func addressedMessagesMatchOnlyEavesdroppingRules() throws {
        let unicast = MatchTestMessage(destination: ":1.9")
        #expect(try !rule("member='Changed'").matches(unicast))
        #expect(try !rule("eavesdrop='false'").matches(unicast))
        #expect(try rule("eavesdrop='true'").matches(unicast))
        #expect(try rule("eavesdrop='true'").matches(MatchTestMessage()), "broadcasts still match")
    }

    @Test func destinationMatchesOnlyWhenEavesdropping() throws {
        #expect(try !rule("destination=':1.9'").matches(MatchTestMessage(destination: ":1.9")))
        #expect(try rule("destination=':1.9',eavesdrop=true").matches(MatchTestMessage(destination: ":1.9")))
        #expect(try !rule("destination=':1.9',eavesdrop=true").matches(MatchTestMessage(destination: ":1.8")))
        #expect(try !rule("destination=':1.9',eavesdrop=true").matches(MatchTestMessage()), "a broadcast has none")
    }

    @Test func brokerDecidesWhoOwnsTheSenderAndDestinationNames() throws {
        let rule = try rule("sender='org.example.Service',destination='org.example.Client',eavesdrop=true")
        let message = MatchTestMessage(sender: ":1.7", destination: ":1.9")
        #expect(!rule.matches(message), "literal comparison")
        var asked: [String] = []
        let matched = rule.matches(
            message,
            senderMatches: { asked.append($0); return true },
            destinationMatches: { asked.append($0); return true })
        #expect(matched)
        #expect(asked == ["org.example.Service", "org.example.Client"])
        #expect(!rule.matches(message, senderMatches: { _ in false }, destinationMatches: { _ in true }))
        #expect(!rule.matches(message, senderMatches: { _ in true }, destinationMatches: { _ in false }))
    }

    @Test func everyKeyMustHold() throws {
        let rule = try rule("type=signal,interface=org.example.Iface,member=Changed,path_namespace=/org,arg0=x")
        #expect(rule.matches(MatchTestMessage().string("x")))
        #expect(!rule.matches(MatchTestMessage(.methodCall).string("x")))
        #expect(!rule.matches(MatchTestMessage(path: "/net").string("x")))
        #expect(!rule.matches(MatchTestMessage().string("y")))
    }
}
