// Pool allocator tests: random alloc/free checked against a model, and the full pool.
import Testing
import TestSupport
@testable import BusPlatform

@Suite struct PoolAllocatorTests {
    /// The model: busy slices as a plain list; a request fits iff some gap is long enough.
    private struct Model {
        let capacity: Int
        var busy: [PoolSlice] = []

        var gaps: [Int] {
            var position = 0
            var result: [Int] = []
            for slice in busy.sorted(by: { $0.offset < $1.offset }) {
                result.append(slice.offset - position)
                position = slice.end
            }
            return result + [capacity - position]
        }

        func overlaps(_ slice: PoolSlice) -> Bool { busy.contains { $0.offset < slice.end && slice.offset < $0.end } }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomAllocateAndFreeAgreeWithTheModel(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let capacity = 64 * 1024
        var allocator = SliceAllocator(capacity: capacity)
        var model = Model(capacity: capacity)
        for step in 0..<4000 {
            if model.busy.isEmpty || Int.random(in: 0..<100, using: &random) < 55 {
                let length = Int.random(in: 0..<10, using: &random) == 0
                    ? Int.random(in: 1...16 * 1024, using: &random) : Int.random(in: 1...700, using: &random)
                let rounded = (length + 7) & ~7
                let fits = model.gaps.contains { $0 >= rounded }
                do {
                    let slice = try allocator.allocate(length)
                    #expect(fits, "step \(step): allocated although no gap of \(rounded) exists")
                    #expect(slice.length == rounded && slice.offset % 8 == 0 && slice.end <= capacity)
                    #expect(!model.overlaps(slice), "step \(step): \(slice) overlaps a busy slice")
                    model.busy.append(slice)
                } catch {
                    #expect(!fits, "step \(step): full reported with a gap of \(rounded) free: \(error)")
                    #expect(error == .full(requested: rounded, freeBytes: model.gaps.reduce(0, +), largestFree: model.gaps.max() ?? 0))
                }
            } else {
                let victim = model.busy.remove(at: Int.random(in: 0..<model.busy.count, using: &random))
                let freed = try allocator.free(offset: victim.offset)
                #expect(freed == victim.length)
            }
            if step % 97 == 0 {
                let consistent = allocator.checkInvariants()
                #expect(consistent, "step \(step)")
            }
            let freeBytes = allocator.freeBytes
            #expect(freeBytes == capacity - model.busy.reduce(0) { $0 + $1.length })
        }
        for slice in model.busy { try allocator.free(offset: slice.offset) }
        let consistent = allocator.checkInvariants(), largest = allocator.largestFree
        #expect(consistent)
        #expect(largest == capacity, "every free merged back into one range")
    }

    @Test func fullPoolReportsTheFiguresAndRecoversAfterFree() throws {
        var allocator = SliceAllocator(capacity: 4096)
        let first = try allocator.allocate(2048)
        let second = try allocator.allocate(2040)
        #expect(throws: PoolError.full(requested: 16, freeBytes: 8, largestFree: 8)) { try allocator.allocate(9) }
        let last = try allocator.allocate(8)
        #expect(last.offset == 4088, "the last 8 bytes still serve a small slice")
        try allocator.free(offset: first.offset)
        let again = try allocator.allocate(2048)
        #expect(again == first)
        try allocator.free(offset: second.offset)
        let consistentAfter = allocator.checkInvariants()
        #expect(consistentAfter)
    }

    @Test func freeOfAnUnknownOffsetIsAnErrorNotACrash() throws {
        var allocator = SliceAllocator(capacity: 4096)
        let slice = try allocator.allocate(100)
        #expect(throws: PoolError.unknownSlice(offset: 8)) { try allocator.free(offset: 8) }
        try allocator.free(offset: slice.offset)
        #expect(throws: PoolError.unknownSlice(offset: slice.offset), "a double FREE") { try allocator.free(offset: slice.offset) }
        #expect(throws: PoolError.invalidSize(0)) { try allocator.allocate(0) }
    }

    @Test func fitInTheRequestsOwnSizeClassIsFound() throws {
        // Free ranges of 1000 and 600 bytes (both in the 512..<1024 list); a 900-byte request
        // must find the 1000-byte range although no larger list has one.
        var allocator = SliceAllocator(capacity: 1000 + 8 + 600 + 8)
        let a = try allocator.allocate(1000)
        _ = try allocator.allocate(8)
        let b = try allocator.allocate(600)
        _ = try allocator.allocate(8)
        try allocator.free(offset: b.offset)
        try allocator.free(offset: a.offset)
        let reused = try allocator.allocate(900)
        #expect(reused.offset == a.offset)
    }
}
