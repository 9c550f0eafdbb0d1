import Testing
@testable import DBusWire

@Suite struct NameValidationTests {
    @Test(arguments: [
        ("org.freedesktop.DBus", NameKind.busName),
        (":1.42", .busName),
        (":1.0", .busName),
        ("com.example-app.x_y", .busName),
        ("org.freedesktop.DBus.Properties", .interfaceName),
        ("_a._b", .interfaceName),
        ("org.freedesktop.DBus.Error.Failed", .errorName),
        ("GetAll", .memberName),
        ("_x9", .memberName),
        ("/", .objectPath),
        ("/org/freedesktop/DBus", .objectPath),
        ("/a_b/C9", .objectPath),
    ])
    func acceptsValidNames(name: String, kind: NameKind) {
        #expect(NameValidation.isValid(name, as: kind))
    }

    @Test(arguments: [
        ("", NameKind.busName, NameError.Rule.empty),
        ("org", .busName, .tooFewElements),
        ("org..x", .busName, .emptyElement),
        ("org.x.", .busName, .emptyElement),
        (".org.x", .busName, .startsWithDot),
        ("org.1x", .busName, .elementStartsWithDigit),
        ("org.x$", .busName, .invalidCharacter),
        (":1", .busName, .tooFewElements),
        ("org.a-b", .interfaceName, .invalidCharacter),
        ("org", .interfaceName, .tooFewElements),
        ("org.9", .errorName, .elementStartsWithDigit),
        ("a.b", .memberName, .invalidCharacter),
        ("9a", .memberName, .elementStartsWithDigit),
        ("", .memberName, .empty),
        ("a/b", .objectPath, .missingLeadingSlash),
        ("/a/", .objectPath, .trailingSlash),
        ("//a", .objectPath, .emptyElement),
        ("/a-b", .objectPath, .invalidCharacter),
        ("", .objectPath, .empty),
    ])
    func rejectsInvalidNames(name: String, kind: NameKind, rule: NameError.Rule) {
        #expect(throws: NameError.self) { try NameValidation.validate(name, as: kind) }
        do {
            try NameValidation.validate(name, as: kind)
        } catch {
            #expect(error.rule == rule)
            #expect(error.kind == kind)
        }
    }

    @Test func rejectsNamesLongerThan255Bytes() {
        let long = "a." + String(repeating: "b", count: 254)
        #expect(long.utf8.count == 256)
        #expect(!NameValidation.isValid(long, as: .busName))
        #expect(!NameValidation.isValid(long, as: .interfaceName))
        let exact = "a." + String(repeating: "b", count: 253)
        #expect(NameValidation.isValid(exact, as: .busName))
    }
}
