// Offset table tests: random inserts, updates and removals checked against Dictionary.
import Testing
import TestSupport
@testable import BusPlatform

@Suite struct OffsetTableTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomOperationsAgreeWithDictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var table = OffsetTable()
        var model: [Int: Int] = [:]
        // Keys from a small range collide and make long probe runs; removals then shift them.
        for _ in 0..<20_000 {
            let key = Int.random(in: 0..<512, using: &random) * 8
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                let value = Int.random(in: 0..<1_000_000, using: &random)
                table[key] = value
                model[key] = value
            case 1:
                let removed = table.removeValue(forKey: key)
                #expect(removed == model.removeValue(forKey: key))
            default:
                let value = table[key]
                #expect(value == model[key])
            }
        }
        let count = table.count, pairs = table.pairs
        #expect(count == model.count)
        #expect(Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) }) == model)
        for key in model.keys {
            let value = table[key]
            #expect(value == model[key])
        }
    }

    @Test func negativeKeysAreNeverFound() {
        var table = OffsetTable()
        table[0] = 1
        let negative = table[-1], removed = table.removeValue(forKey: -8), count = table.count
        #expect(negative == nil)
        #expect(removed == nil)
        #expect(count == 1)
    }
}
