import Testing
@testable import BusBroker

@Suite struct ConfigXMLReaderTests {
    func events(_ text: String) throws(XMLError) -> [XMLEvent.Kind] {
        var reader = XMLReader(Array(text.utf8))
        var all: [XMLEvent.Kind] = []
        while let event = try reader.next() { all.append(event.kind) }
        return all
    }

    func error(_ text: String) -> XMLError? {
        do throws(XMLError) { _ = try events(text) } catch { return error }
        return nil
    }

    @Test func readsElementsAttributesAndText() throws {
        let kinds = try events("<?xml version=\"1.0\"?>\n<a x='1' y=\"two\"><b/>hi</a>")
        #expect(kinds == [
            .start(name: "a", attributes: [XMLAttribute(name: "x", value: "1"), XMLAttribute(name: "y", value: "two")]),
            .start(name: "b", attributes: []), .end(name: "b"), .text("hi"), .end(name: "a"),
        ])
    }

    @Test func skipsDoctypeCommentsAndProcessingInstructions() throws {
        let text = """
            <!-- top -->
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd" [ <!ENTITY x "y>"> ]>
            <a><!-- a > b --><?pi data?></a>
            """
        #expect(try events(text) == [.start(name: "a", attributes: []), .end(name: "a")])
    }

    @Test func decodesEntitiesAndCharacterReferences() throws {
        let kinds = try events("<a v=\"&lt;&gt;&amp;&quot;&apos;\">&#65;&#x42;&#x20AC;&amp;</a>")
        #expect(kinds == [.start(name: "a", attributes: [XMLAttribute(name: "v", value: "<>&\"'")]), .text("AB€&"), .end(name: "a")])
    }

    @Test func readsCDATAAsText() throws {
        #expect(try events("<a><![CDATA[<x>&amp;]]></a>") == [.start(name: "a", attributes: []), .text("<x>&amp;"), .end(name: "a")])
    }

    @Test func normalizesWhitespaceInAttributeValues() throws {
        #expect(try events("<a v=\"x\ty\nz\"/>").first == .start(name: "a", attributes: [XMLAttribute(name: "v", value: "x y z")]))
    }

    @Test func reportsLineAndColumnOfEachEvent() throws {
        var reader = XMLReader(Array("<a>\n  <b/>\n</a>".utf8))
        _ = try reader.next()
        let whitespace = try #require(try reader.next())
        let b = try #require(try reader.next())
        #expect(whitespace.kind == .text("\n  ") && whitespace.position == XMLPosition(line: 1, column: 4))
        #expect(b.kind == .start(name: "b", attributes: []) && b.position == XMLPosition(line: 2, column: 3))
    }

    @Test(arguments: [
        ("<a><b></a>", XMLError.Reason.mismatchedEndTag(expected: "b", found: "a"), 1, 7),
        ("<a>\n<b>", .unclosedElement("b"), 2, 4),
        ("<a></a><b/>", .multipleRootElements, 1, 8),
        ("text<a/>", .textOutsideRoot, 1, 1),
        ("<!-- only -->", .noRootElement, 1, 14),
        ("<a x='1' x='2'/>", .duplicateAttribute("x"), 1, 1),
        ("<a x=1/>", .expected("a quoted value for attribute x"), 1, 6),
        ("<a x='<'/>", .ltInAttributeValue, 1, 7),
        ("<a>&nbsp;</a>", .unknownEntity("nbsp"), 1, 4),
        ("<a>&#0;</a>", .invalidCharacterReference("#0"), 1, 4),
        ("<a>&#xD800;</a>", .invalidCharacterReference("#xD800"), 1, 4),
        ("<a>&#-5;</a>", .invalidCharacterReference("#-5"), 1, 4),
        ("<a>a & b</a>", .unterminatedReference, 1, 6),
        ("<a><!-- never closed</a>", .unterminated("comment"), 1, 4),
        ("<a><![CDATA[x</a>", .unterminated("CDATA section"), 1, 4),
        ("<a></a><!DOCTYPE x>", .misplacedDoctype, 1, 8),
        ("<a><!ENTITY x 'y'></a>", .unsupportedMarkup, 1, 4),
        ("<a>\u{1}</a>", .controlCharacter(1), 1, 4),
        ("</a>", .unexpectedEndTag("a"), 1, 1),
        ("<a x='1'y='2'/>", .expected("whitespace, '>' or '/>' in <a>"), 1, 9),
        ("<1a/>", .expected("a name"), 1, 2),
        ("<a x='unterminated", .unexpectedEnd(inside: "attribute x"), 1, 6),
    ])
    func rejectsMalformedXML(text: String, reason: XMLError.Reason, line: Int, column: Int) {
        let found = error(text)
        #expect(found?.reason == reason)
        #expect(found?.position == XMLPosition(line: line, column: column))
    }

    @Test func rejectsInvalidUTF8() {
        var reader = XMLReader([0x3C, 0x61, 0x3E, 0xFF, 0xFE, 0x3C, 0x2F, 0x61, 0x3E])
        #expect(throws: XMLError.self) { while try reader.next() != nil {} }
    }

    @Test func deepNestingIsReadWithoutRecursion() throws {
        let depth = 100_000
        let text = String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
        #expect(try events(text).count == 2 * depth)
    }
}
