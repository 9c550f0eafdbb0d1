// Match Prefix Tests: the word-at-a-time byte comparison under every length and mismatch position.
import Testing
@testable import DBusWire

@Suite struct MatchPrefixTests {
    @Test(arguments: 0...20)
    func equalFindsADifferenceAtEveryPosition(length: Int) {
        let bytes = (0..<length).map { UInt8(0x61 + $0 % 26) }
        bytes.withUnsafeBytes { original in
            #expect(MatchPrefix.equal(original, original))
            for position in 0..<length {
                var changed = bytes
                changed[position] ^= 0x20
                changed.withUnsafeBytes { #expect(!MatchPrefix.equal(original, $0), "difference at \(position)") }
            }
            (bytes + [0x61]).withUnsafeBytes { #expect(!MatchPrefix.equal(original, $0), "longer") }
        }
    }
}
