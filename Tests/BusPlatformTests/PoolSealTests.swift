// Pool seal tests: the client's descriptor cannot write the pool any of the four ways in.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct PoolSealTests {
    private let size = 64 * 1024

    @Test func clientDescriptorRefusesAWritableMapping() throws {
        let pool = try ReceivePool.create(size: size)
        let client = try pool.descriptorForClient()
        #expect(throws: Errno.permissionDenied) { _ = try MappedRegion.map(client, length: size, protection: [.read, .write]) }
    }

    @Test func clientDescriptorRefusesWriteAndPwrite() throws {
        let pool = try ReceivePool.create(size: size)
        let client = try pool.descriptorForClient()
        var byte: UInt8 = 1
        #expect(throws: Errno.permissionDenied) { _ = try withUnsafeBytes(of: &byte) { try client.write($0, atOffset: 0) } }
        #expect(throws: Errno.permissionDenied) { _ = try withUnsafeBytes(of: &byte) { try client.write($0) } }
    }

    @Test func clientCannotMakeItsReadOnlyMappingWritable() throws {
        let pool = try ReceivePool.create(size: size)
        var mapping = try MappedRegion.map(try pool.descriptorForClient(), length: size, protection: .read)
        #expect(throws: Errno.accessDenied) { try mapping.protect([.read, .write]) }
    }

    @Test func reopeningThroughProcSelfFdDoesNotHelp() throws {
        let pool = try ReceivePool.create(size: size)
        let client = try pool.descriptorForClient()
        let raw = open("/proc/self/fd/\(client.rawValue)", O_RDWR | O_CLOEXEC)
        try #require(raw >= 0, "re-opening read-write succeeds; the seal is the defence")
        let reopened = FileDescriptor(owning: raw)
        var byte: UInt8 = 1
        #expect(throws: Errno.permissionDenied) { _ = try withUnsafeBytes(of: &byte) { try reopened.write($0, atOffset: 0) } }
        #expect(throws: Errno.permissionDenied) { _ = try MappedRegion.map(reopened, length: size, protection: [.read, .write]) }
        #expect(throws: Errno.permissionDenied) { try reopened.truncate(toSize: 0) }
    }

    @Test func viewSeesWhatTheBrokerWritesAfterMapping() throws {
        var pool = try ReceivePool.create(size: size)
        let view = try PoolView.map(try pool.descriptorForClient(), expectedSize: size)
        let slice = try pool.allocate(5)
        [UInt8]([1, 2, 3, 4, 5]).withUnsafeBytes { pool.write($0, into: slice) }
        #expect(try view.copySlice(offset: UInt64(slice.offset), length: 5) == [1, 2, 3, 4, 5])
        try pool.free(offset: slice.offset)
        #expect(pool.freeBytes == size - PoolLimits.poolControlSize && pool.sliceCount == 0)
        #expect(slice.offset >= PoolLimits.poolControlSize, "slices never overlap the control area and the RECV ring")
    }

    @Test func viewChecksEveryRangeItIsGiven() throws {
        let pool = try ReceivePool.create(size: size)
        let view = try PoolView.map(try pool.descriptorForClient(), expectedSize: size)
        let cases: [(UInt64, UInt64)] = [(0, 8), (UInt64(PoolLimits.poolControlSize) - 8, 8), (UInt64(size), 8), (UInt64(size) - 8, 16), (8, 0), (4, 8), (UInt64.max - 7, 16), (8, UInt64.max)]
        for (offset, length) in cases {
            #expect(throws: PoolError.outOfBounds(offset: Int(clamping: offset), length: Int(clamping: length), size: size)) {
                _ = try view.copySlice(offset: offset, length: length)
            }
        }
        #expect(try view.copySlice(offset: UInt64(size) - 8, length: 8).count == 8)
    }

    @Test func viewRefusesAnUnsealedOrMisSizedMemfd() throws {
        #expect(throws: PoolError.missingSeals(required: .pool, found: [])) {
            _ = try PoolView.map(try MemoryFile.create(name: "swiftbus-test-unsealed", size: size), expectedSize: size)
        }
        let pool = try ReceivePool.create(size: size)
        #expect(throws: PoolError.wrongSize(expected: 2 * size, found: size)) {
            _ = try PoolView.map(try pool.descriptorForClient(), expectedSize: 2 * size)
        }
    }

    @Test func poolSizesOutsideTheLimitsAreRefused() {
        #expect(throws: PoolError.invalidSize(4096)) { _ = try ReceivePool.create(size: 4096) }
        #expect(throws: PoolError.invalidSize(size + 8)) { _ = try ReceivePool.create(size: size + 8) }
        #expect(throws: PoolError.invalidSize(PoolLimits.maximumSize * 2)) { _ = try SendArena.create(size: PoolLimits.maximumSize * 2) }
    }
}
