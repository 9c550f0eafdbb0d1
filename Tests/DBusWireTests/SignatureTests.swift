// Signature Tests
import Testing
@testable import DBusWire

@Suite struct SignatureTests {
    @Test(arguments: ["", "y", "sa{sv}", "a{oa{sa{sv}}}", "(ii)", "a(yv)", "aay", "(a{s(ii)}v)", "hgbdtxqnu"])
    func parsesAndPrintsValidSignatures(text: String) throws {
        let signature = try Signature(text)
        #expect(signature.string == text)
        #expect(Signature(types: signature.types) == signature)
        #expect(signature.types.map(\.signatureString).joined() == text)
    }

    @Test func buildsTheTreeOfADictionary() throws {
        let signature = try Signature("sa{sv}")
        #expect(signature.types == [.string, .dictionary(key: .string, value: .variant)])
    }

    @Test func reportsAlignmentAndBasicness() {
        #expect(SignatureType.byte.alignment == 1)
        #expect(SignatureType.int16.alignment == 2)
        #expect(SignatureType.array(.uint64).alignment == 4)
        #expect(SignatureType.structure([.byte]).alignment == 8)
        #expect(SignatureType.dictionary(key: .string, value: .variant).alignment == 4)
        #expect(SignatureType.variant.alignment == 1)
        #expect(SignatureType.unixFD.isBasic)
        #expect(!SignatureType.variant.isBasic)
        #expect(!SignatureType.structure([.byte]).isBasic)
    }

    static let nested32Arrays = String(repeating: "a", count: 32) + "y"
    static let nested32Structs = String(repeating: "(", count: 32) + "y" + String(repeating: ")", count: 32)

    @Test func acceptsNestingExactlyAtTheLimits() throws {
        _ = try Signature(Self.nested32Arrays)
        _ = try Signature(Self.nested32Structs)
        _ = try Signature(String(repeating: "y", count: 255))
    }

    @Test(arguments: [
        (String(repeating: "y", count: 256), SignatureProblem.tooLong(256), 255),
        ("yz", .unknownTypeCode(UInt8(ascii: "z")), 1),
        ("a" + nested32Arrays, .arrayNestingTooDeep, 32),
        ("(" + nested32Structs + ")", .structNestingTooDeep, 32),
        ("{sv}", .dictEntryOutsideArray, 0),
        ("(s{sv})", .dictEntryOutsideArray, 2),
        ("a{vs}", .dictEntryKeyNotBasic, 2),
        ("a{(i)s}", .dictEntryKeyNotBasic, 2),
        ("a{s}", .dictEntryFieldCount, 3),
        ("a{}", .dictEntryFieldCount, 2),
        ("a{sss}", .dictEntryFieldCount, 4),
        ("()", .emptyStruct, 0),
        ("i)", .unexpectedClose(UInt8(ascii: ")")), 1),
        ("(i}", .unexpectedClose(UInt8(ascii: "}")), 2),
        ("a", .incompleteType, 1),
        ("(ii", .incompleteType, 3),
        ("a{sv", .incompleteType, 4),
    ])
    func rejectsInvalidSignatures(text: String, problem: SignatureProblem, offset: Int) {
        let error = wireError { () throws(WireError) in _ = try Signature(text) }
        #expect(error == WireError(.invalidSignature(problem), at: offset))
    }

    @Test func errorDescriptionNamesTheRuleAndOffset() {
        let error = wireError { () throws(WireError) in _ = try Signature("a{vs}") }
        #expect(error?.description == "signature has a dict entry whose key is not a basic type (at byte 2)")
    }
}
