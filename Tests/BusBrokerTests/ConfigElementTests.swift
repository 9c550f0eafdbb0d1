import Testing
@testable import BusBroker

@Suite struct ConfigElementTests {
    @Test func readsEverySingleValuedAndListElement() throws {
        let config = try loadFile("""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <user>messagebus</user>
              <listen>unix:path=/run/a</listen>
              <listen> tcp:host=localhost,port=0 </listen>
              <auth>EXTERNAL</auth>
              <auth>ANONYMOUS</auth>
              <allow_anonymous/>
              <fork/>
              <keep_umask/>
              <syslog/>
              <pidfile>/run/x.pid</pidfile>
              <servicehelper>helper/launch</servicehelper>
              <servicedir>services</servicedir>
              <servicedir>/abs/services</servicedir>
              <standard_session_servicedirs/>
              <standard_system_servicedirs/>
            </busconfig>
            """)
        #expect(config.type == .system)
        #expect(config.user == "messagebus")
        #expect(config.listen == ["unix:path=/run/a", "tcp:host=localhost,port=0"])
        #expect(config.authMechanisms == ["EXTERNAL", "ANONYMOUS"])
        #expect(config.allowAnonymous && config.fork && config.keepUmask && config.syslog)
        #expect(config.pidFile == "/run/x.pid")
        #expect(config.serviceHelper == "/etc/test/helper/launch")
        #expect(config.serviceDirectories == [.path("/etc/test/services"), .path("/abs/services"), .standardSession, .standardSystem])
    }

    @Test func defaultsWhenElementsAreAbsent() throws {
        let config = try loadBody("")
        #expect(config.type == nil && config.user == nil && config.pidFile == nil && config.serviceHelper == nil)
        #expect(!config.fork && !config.syslog && !config.keepUmask && !config.allowAnonymous)
        #expect(config.authMechanisms.isEmpty && config.policies.isEmpty && config.serviceDirectories.isEmpty)
    }

    @Test func laterSingleValuesWinAndServiceDirectoriesStayUnique() throws {
        let config = try loadBody("<type>session</type><type>my-bus</type><user>a</user><user>b</user><servicedir>/s</servicedir><servicedir>/s</servicedir>")
        #expect(config.type == .custom("my-bus"))
        #expect(config.user == "b")
        #expect(config.serviceDirectories == [.path("/s")])
    }

    @Test func readsEntitiesInText() throws {
        #expect(try loadBody("<listen>unix:path=/tmp/a&amp;b</listen>").listen.last == "unix:path=/tmp/a&b")
    }

    @Test func everyLimitHasItsDefault() throws {
        let limits = try loadBody("").limits
        #expect(limits[.maxIncomingBytes] == 133_169_152)
        #expect(limits[.maxMessageSize] == 33_554_432)
        #expect(limits[.maxMessageUnixFDs] == 16)
        #expect(limits[.maxIncomingUnixFDs] == 64)
        #expect(limits[.authTimeout] == 30_000)
        #expect(limits[.replyTimeout] == LimitName.never)
        #expect(limits[.maxRepliesPerConnection] == 128)
        #expect(limits.explicitlySet.isEmpty)
    }

    @Test(arguments: LimitName.allCases)
    func everyLimitNameIsAccepted(name: LimitName) throws {
        let limits = try loadBody("<limit name=\"\(name.rawValue)\">12345</limit>").limits
        #expect(limits[name] == 12345)
        #expect(limits.explicitlySet == [name])
    }

    @Test func limitUnitsAreTyped() {
        #expect(LimitName.maxMessageSize.unit == .bytes)
        #expect(LimitName.maxMessageUnixFDs.unit == .fileDescriptors)
        #expect(LimitName.authTimeout.unit == .milliseconds)
        #expect(LimitName.maxNamesPerConnection.unit == .count)
    }

    @Test func byteLimitsMayExceed32Bits() throws {
        #expect(try loadBody("<limit name=\"max_incoming_bytes\">5000000000</limit>").limits[.maxIncomingBytes] == 5_000_000_000)
    }

    @Test func apparmorAndSelinuxAreParsedAndNoted() throws {
        let config = try loadBody("""
            <apparmor mode="enabled"/>
            <selinux><associate own="org.example.X" context="system_u:object_r:x_t"/></selinux>
            """)
        #expect(config.selinuxAssociations == [SelinuxAssociation(ownedName: "org.example.X", context: "system_u:object_r:x_t")])
        #expect(config.notes.map(\.line) == [2, 3])
    }

    @Test func policyContexts() throws {
        let config = try loadBody("""
            <policy context="default"><allow own="*"/></policy>
            <policy context="mandatory"><deny own="a.b"/></policy>
            <policy user="root"><allow own="c.d"/></policy>
            <policy user="*"><allow own="c.d"/></policy>
            <policy group="wheel"><allow own="e.f"/></policy>
            <policy at_console="true"><allow own="g.h"/></policy>
            <policy at_console="false"></policy>
            """)
        #expect(config.policies.map(\.context) == [
            .defaultContext, .mandatory, .user(.named("root")), .user(.any), .group(.named("wheel")), .atConsole(true), .atConsole(false),
        ])
        #expect(config.policies.map(\.line) == [2, 3, 4, 5, 6, 7, 8])
    }

    @Test(arguments: [
        ("<foo/>", ConfigError.Reason.elementNotAllowed("foo", inside: "busconfig"), 2),
        ("<policy context=\"default\"><own/></policy>", .elementNotAllowed("own", inside: "policy"), 2),
        ("<listen>a<b/></listen>", .elementNotAllowed("b", inside: "listen"), 2),
        ("<policy context=\"default\"><allow own=\"a\"><x/></allow></policy>", .elementNotAllowed("x", inside: "allow"), 2),
        ("<selinux><foo/></selinux>", .elementNotAllowed("foo", inside: "selinux"), 2),
        ("<fork x=\"1\"/>", .attributeNotAllowed("x", on: "fork"), 2),
        ("<listen kind=\"unix\">unix:tmpdir=/tmp</listen>", .attributeNotAllowed("kind", on: "listen"), 2),
        ("<limit>5</limit>", .missingAttribute("name", on: "limit"), 2),
        ("<limit name=\"auth_timeout\" x=\"1\">5</limit>", .attributeNotAllowed("x", on: "limit"), 2),
        ("<fork>yes</fork>", .unexpectedText(inside: "fork"), 2),
        ("<policy context=\"default\">text</policy>", .unexpectedText(inside: "policy"), 2),
        ("\n<user>\n</user>", .missingContent("user"), 3),
        ("<listen/>", .missingContent("listen"), 2),
        ("<limit name=\"bogus\">5</limit>", .unknownLimit("bogus"), 2),
        ("<limit name=\"auth_timeout\">soon</limit>", .badLimitValue(name: "auth_timeout", value: "soon"), 2),
        ("<limit name=\"auth_timeout\">12abc</limit>", .badLimitValue(name: "auth_timeout", value: "12abc"), 2),
        ("<limit name=\"auth_timeout\">-1</limit>", .negativeLimit("auth_timeout"), 2),
        ("<limit name=\"auth_timeout\">3000000000</limit>", .limitTooLarge("auth_timeout"), 2),
        ("<limit name=\"max_message_size\">99999999999999999999</limit>", .badLimitValue(name: "max_message_size", value: "99999999999999999999"), 2),
        ("<policy/>", .policyNeedsOneContext, 2),
        ("<policy context=\"default\" user=\"root\"/>", .policyNeedsOneContext, 2),
        ("<policy context=\"sometimes\"/>", .badAttributeValue(attribute: "context", value: "sometimes", expected: "default or mandatory"), 2),
        ("<policy at_console=\"yes\"/>", .badAttributeValue(attribute: "at_console", value: "yes", expected: "true or false"), 2),
        ("<policy session=\"x\"/>", .attributeNotAllowed("session", on: "policy"), 2),
        ("<apparmor mode=\"strict\"/>", .badAttributeValue(attribute: "mode", value: "strict", expected: "required, enabled or disabled"), 2),
        ("<selinux><associate own=\"a.b\"/></selinux>", .missingAttribute("context", on: "associate"), 2),
        ("<include ignore_missing=\"true\">x.conf</include>", .badAttributeValue(attribute: "ignore_missing", value: "true", expected: "yes or no"), 2),
        ("<include>/nowhere.conf</include>", .fileNotFound("/nowhere.conf"), 2),
        ("<include selinux_root_relative=\"yes\">x</include>", .selinuxRootUnknown, 2),
        ("<listen>a</listen></busconfig><busconfig>", .malformedXML(.multipleRootElements), 2),
    ])
    func refusesInvalidConfiguration(body: String, reason: ConfigError.Reason, line: Int) {
        let error = errorOfBody(body)
        #expect(error?.reason == reason)
        #expect(error?.file == mainPath)
        #expect(error?.line == line)
    }

    @Test func unknownRootElementAndMissingListenAreErrors() {
        #expect(errorOfFile("<config/>")?.reason == .unknownRootElement("config"))
        #expect(errorOfFile("<busconfig x=\"1\"/>")?.reason == .attributeNotAllowed("x", on: "busconfig"))
        #expect(errorOfFile("<busconfig><type>session</type></busconfig>")?.reason == .noListenAddress)
        #expect(errorOfFile("")?.reason == .malformedXML(.noRootElement))
    }

    @Test func errorMessagesNameFileLineAndColumn() {
        let error = errorOfBody("  <policy context=\"default\"><allow send_interface=\"a.b\" receive_sender=\"c.d\"/></policy>")
        #expect(error?.description == "/etc/test/main.conf:2:29: <allow> mixes send_ and receive_ attributes")
    }
}
