// Address tests: the address grammar and escaping, the unix view, socket resolution.
import Testing
import TestSupport
@testable import DBusWire


@Suite struct AddressGrammarTests {
    @Test func parsesOneEntryWithOrderedKeys() throws {
        let entries = try DBusAddress.parseList("unix:path=/run/user/1000/bus,guid=0123456789abcdef0123456789abcdef")
        #expect(entries.count == 1)
        #expect(entries[0].transport == "unix")
        #expect(entries[0].parameters.map(\.key) == ["path", "guid"])
        #expect(entries[0]["path"] == "/run/user/1000/bus")
        #expect(entries[0].guid == DBusGUID("0123456789abcdef0123456789abcdef"))
    }

    @Test func parsesSeveralEntriesAndToleratesTrailingSeparators() throws {
        let entries = try DBusAddress.parseList("unix:path=/a,;tcp:host=localhost,port=1234;")
        #expect(entries.map(\.transport) == ["unix", "tcp"])
        #expect(entries[0].parameters.count == 1)
        #expect(entries[1]["port"] == "1234")
    }

    @Test func acceptsAnEntryWithoutKeys() throws {
        let entry = try DBusAddress(parsing: "autolaunch:")
        #expect(entry.transport == "autolaunch")
        #expect(entry.parameters.isEmpty)
    }

    @Test(arguments: [
        ("unix:path=/tmp/a%2cb", "/tmp/a,b"),
        ("unix:path=/tmp/a%2Cb", "/tmp/a,b"),
        ("unix:path=/tmp/with%20space", "/tmp/with space"),
        ("unix:path=%3d%3b%3a%25", "=;:%"),
        ("unix:path=/tmp/%c3%a9t%C3%A9", "/tmp/été"),
        ("unix:path=-_/.\\*AZaz09", "-_/.\\*AZaz09"),
    ])
    func unescapesPercentSequences(address: String, value: String) throws {
        #expect(try DBusAddress(parsing: address)["path"] == value)
    }

    @Test func escapesEveryByteOutsideTheOptionalSetInLowercaseHex() {
        let entry = DBusAddress(transport: "unix", parameters: [.init(key: "path", value: "/tmp/a b,c=d;é%")])
        #expect(entry.description == "unix:path=/tmp/a%20b%2cc%3dd%3b%c3%a9%25")
    }

    @Test func everyAsciiByteAndUnicodeRoundTrips() throws {
        var value = String(decoding: (1...127).map { UInt8($0) }, as: UTF8.self)
        value += "ünïcødé🚌"
        let entries = [
            DBusAddress(transport: "unix", parameters: [.init(key: "path", value: value), .init(key: "x", value: "1")]),
            DBusAddress(transport: "tcp", parameters: [.init(key: "host", value: "::1")]),
        ]
        let text = DBusAddress.serialize(entries)
        #expect(try DBusAddress.parseList(text) == entries)
    }

    @Test(arguments: [
        ("", AddressError.Rule.empty, 0),
        ("unix", .missingColon, 0),
        ("unix:path=/a;;unix:path=/b", .missingColon, 13),
        (":path=/a", .emptyTransport, 0),
        ("un ix:path=/a", .invalidTransportCharacter, 2),
        ("unix:path", .missingEquals, 5),
        ("unix:path=/a,,abstract=b", .missingEquals, 13),
        ("unix:=x", .emptyKey, 5),
        ("unix:pa%74h=x", .invalidKeyCharacter, 7),
        ("unix:path=", .emptyValue, 10),
        ("unix:path=/a b", .unescapedCharacter, 12),
        ("unix:path=/a=b", .unescapedCharacter, 12),
        ("unix:path=/a%2", .truncatedEscape, 12),
        ("unix:path=/a%", .truncatedEscape, 12),
        ("unix:path=/a%zz", .invalidHexEscape, 12),
        ("unix:path=/a%2g", .invalidHexEscape, 12),
        ("unix:path=%ff", .valueNotUTF8, 10),
        ("unix:path=/a%00b", .nulInValue, 12),
    ])
    func rejectsMalformedAddresses(address: String, rule: AddressError.Rule, offset: Int) {
        #expect {
            try DBusAddress.parseList(address)
        } throws: { error in
            let error = error as! AddressError
            return error.rule == rule && error.offset == offset
        }
    }

    @Test func singleEntryParsingRejectsALists() {
        #expect(throws: AddressError(.unexpectedSecondEntry, offset: 12)) {
            try DBusAddress(parsing: "unix:path=/a;unix:path=/b")
        }
    }

    @Test func errorDescriptionNamesRuleKeyAndOffset() {
        let error = AddressError(.unescapedCharacter, offset: 12, key: "path")
        #expect(error.description.contains("%XX"))
        #expect(error.description.contains("'path'"))
        #expect(error.description.contains("12"))
    }
}

@Suite struct UnixAddressTests {
    static let guid = DBusGUID("0123456789abcdef0123456789abcdef")!

    @Test(arguments: [
        ("unix:path=/run/bus", UnixAddress.Location.path("/run/bus")),
        ("unix:abstract=/tmp/dbus-abc", .abstract("/tmp/dbus-abc")),
        ("unix:tmpdir=/tmp", .tmpdir("/tmp")),
        ("unix:dir=/run/x", .dir("/run/x")),
        ("unix:runtime=yes", .runtime),
    ])
    func acceptsEachLocationKey(address: String, location: UnixAddress.Location) throws {
        let unix = try UnixAddress(parsing: address)
        #expect(unix.location == location)
        #expect(unix.guid == nil)
        #expect(unix.description == address)
    }

    @Test func readsTheGuidInEitherCase() throws {
        let unix = try UnixAddress(parsing: "unix:guid=0123456789ABCDEF0123456789abcdef,path=/run/bus")
        #expect(unix.guid == Self.guid)
        #expect(unix.description == "unix:path=/run/bus,guid=0123456789abcdef0123456789abcdef")
    }

    @Test(arguments: [
        ("tcp:host=localhost", AddressError.Rule.notUnixTransport, nil as String?),
        ("unix:", .noLocation, nil),
        ("unix:guid=0123456789abcdef0123456789abcdef", .noLocation, nil),
        ("unix:path=/a,abstract=b", .conflictingLocations, "abstract"),
        ("unix:tmpdir=/tmp,runtime=yes", .conflictingLocations, "runtime"),
        ("unix:path=/a,path=/b", .duplicateKey, "path"),
        ("unix:pth=/a", .unknownKey, "pth"),
        ("unix:path=/a,mode=0600", .unknownKey, "mode"),
        ("unix:runtime=no", .invalidRuntimeValue, "runtime"),
        ("unix:path=/a,guid=0123456789abcdef0123456789abcde", .invalidGUID, "guid"),
        ("unix:path=/a,guid=0123456789abcdef0123456789abcdeg", .invalidGUID, "guid"),
    ])
    func rejectsBadUnixAddresses(address: String, rule: AddressError.Rule, key: String?) {
        #expect {
            try UnixAddress(parsing: address)
        } throws: { error in
            let error = error as! AddressError
            return error.rule == rule && error.key == key
        }
    }

    @Test func tmpdirAndDirListenOnANewRandomPathInTheDirectory() throws {
        var generator = SeededRandom(seed: 42)
        let tmp = try UnixAddress(parsing: "unix:tmpdir=/tmp").listeningLocation(runtimeDirectory: nil, using: &generator)
        let dir = try UnixAddress(parsing: "unix:dir=/run/x/").listeningLocation(runtimeDirectory: nil, using: &generator)
        guard case .path(let tmpName) = tmp, case .path(let dirPath) = dir else {
            Issue.record("unexpected kinds \(tmp) \(dir)")
            return
        }
        for (name, prefix) in [(tmpName, "/tmp/dbus-"), (dirPath, "/run/x/dbus-")] {
            #expect(name.hasPrefix(prefix))
            let suffix = name.dropFirst(prefix.count)
            #expect(suffix.count == UnixSocketLocation.randomNameLength)
            #expect(suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        }
        let again = try UnixAddress(parsing: "unix:tmpdir=/tmp").listeningLocation(runtimeDirectory: nil, using: &generator)
        #expect(again != tmp)
    }

    @Test func runtimeListensOnBusInTheRuntimeDirectory() throws {
        var generator = SeededRandom(seed: 1)
        let unix = try UnixAddress(parsing: "unix:runtime=yes")
        #expect(try unix.listeningLocation(runtimeDirectory: "/run/user/1000", using: &generator) == .path("/run/user/1000/bus"))
        #expect(throws: AddressError(.runtimeDirectoryUnset)) {
            try unix.listeningLocation(runtimeDirectory: nil, using: &generator)
        }
        #expect(throws: AddressError(.runtimeDirectoryUnset)) {
            try unix.listeningLocation(runtimeDirectory: "", using: &generator)
        }
    }

    @Test func rejectsSocketNamesTooLongForSockaddrUn() throws {
        var generator = SeededRandom(seed: 1)
        let fits = "/" + String(repeating: "a", count: UnixSocketLocation.maxNameLength - 1)
        #expect(try UnixAddress(location: .path(fits)).listeningLocation(runtimeDirectory: nil, using: &generator) == .path(fits))
        #expect(throws: AddressError(.socketPathTooLong, key: "path")) {
            try UnixAddress(location: .path(fits + "a")).connectableLocation()
        }
        #expect(throws: AddressError(.socketPathTooLong, key: "abstract")) {
            try UnixAddress(location: .abstract(fits + "a")).listeningLocation(runtimeDirectory: nil, using: &generator)
        }
    }

    @Test func onlyPathAndAbstractAreConnectable() throws {
        #expect(try UnixAddress(parsing: "unix:path=/run/bus").connectableLocation() == .path("/run/bus"))
        #expect(try UnixAddress(parsing: "unix:abstract=x").connectableLocation() == .abstract("x"))
        for text in ["unix:tmpdir=/tmp", "unix:dir=/tmp", "unix:runtime=yes"] {
            #expect(throws: AddressError(.notConnectable)) { try UnixAddress(parsing: text).connectableLocation() }
        }
    }

    @Test func printsTheConnectableAddressLikeDbusDaemon() throws {
        #expect(
            UnixSocketLocation.path("/run/user/1000/bus").connectableAddress(guid: Self.guid)
                == "unix:path=/run/user/1000/bus,guid=0123456789abcdef0123456789abcdef")
        #expect(
            UnixSocketLocation.abstract("/tmp/dbus-AbC").connectableAddress(guid: Self.guid)
                == "unix:abstract=/tmp/dbus-AbC,guid=0123456789abcdef0123456789abcdef")
        let odd = UnixSocketLocation.path("/tmp/my bus,1").connectableAddress(guid: Self.guid)
        #expect(odd == "unix:path=/tmp/my%20bus%2c1,guid=0123456789abcdef0123456789abcdef")
        let back = try UnixAddress(parsing: odd)
        #expect(back.location == .path("/tmp/my bus,1"))
        #expect(back.guid == Self.guid)
    }

    @Test func guidFromBytesIsLowercaseHex() {
        let guid = DBusGUID(bytes: (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210))
        #expect(guid.hex == "0123456789abcdeffedcba9876543210")
        #expect(DBusGUID(guid.hex) == guid)
        #expect(DBusGUID("0123") == nil)
    }
}
