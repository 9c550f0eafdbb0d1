// Memory file tests: memfd creation, mapping, and the four ways a seal keeps writers out.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct MemoryFileTests {
    private let size = 64 * 1024

    /// A pool as the broker makes one: mapped writable first, then sealed.
    private func sealedPool() throws -> SealedPool {
        let file = try MemoryFile.create(name: "swiftbus-test-pool", size: size)
        let brokerMapping = try MappedRegion.map(file, length: size, protection: [.read, .write])
        try file.addSeals(.pool)
        return SealedPool(file: file, brokerMapping: brokerMapping)
    }

    private func writeByte(_ value: UInt8, to file: borrowing FileDescriptor) throws(Errno) -> Int {
        var byte = value
        return try withUnsafeBytes(of: &byte) { bytes throws(Errno) in try file.write(bytes, atOffset: 0) }
    }

    @Test func createdMemfdHasItsSizeZeroedAndIsCloseOnExec() throws {
        let file = try MemoryFile.create(name: "swiftbus-test", size: size)
        #expect(try file.size() == size)
        #expect(try file.isCloseOnExec())
        #expect(try file.seals() == [], "sealing is allowed, nothing sealed yet")
        let mapping = try MappedRegion.map(file, length: size, protection: .read)
        #expect(mapping.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
    }

    @Test func writesThroughOneMappingAreSeenThroughAnother() throws {
        let file = try MemoryFile.create(name: "swiftbus-test", size: size)
        let writer = try MappedRegion.map(file, length: size, protection: [.read, .write])
        let reader = try MappedRegion.map(file, length: size, protection: .read)
        writer.withUnsafeMutableBytes { $0[100] = 0xAB }
        #expect(reader.withUnsafeBytes { $0[100] } == 0xAB)
    }

    @Test func sealsAreReportedAndFinal() throws {
        let pool = try sealedPool()
        let file = pool.file
        #expect(try file.seals() == .pool)
        #expect(throws: Errno.permissionDenied, "F_SEAL_SEAL forbids adding seals") {
            try file.addSeals(.write)
        }
    }

    @Test func brokersExistingMappingStaysWritableAfterSealing() throws {
        let pool = try sealedPool()
        let file = pool.file
        let brokerMapping = pool.brokerMapping
        brokerMapping.withUnsafeMutableBytes { $0[0] = 7 }
        let reader = try MappedRegion.map(file, length: size, protection: .read)
        #expect(reader.withUnsafeBytes { $0[0] } == 7)
    }

    @Test func sealedPoolRefusesANewWritableMapping() throws {
        let pool = try sealedPool()
        let file = pool.file
        #expect(throws: Errno.permissionDenied) {
            _ = try MappedRegion.map(file, length: size, protection: [.read, .write])
        }
    }

    @Test func sealedPoolRefusesWrite() throws {
        let pool = try sealedPool()
        let file = pool.file
        #expect(throws: Errno.permissionDenied) { _ = try writeByte(1, to: file) }
    }

    @Test func sealedPoolRefusesMakingAReadOnlyMappingWritable() throws {
        let pool = try sealedPool()
        let file = pool.file
        var reader = try MappedRegion.map(file, length: size, protection: .read)
        #expect(throws: Errno.accessDenied, "the read-only mapping lost VM_MAYWRITE to the seal") {
            try reader.protect([.read, .write])
        }
        #expect(reader.protection == .read)
    }

    @Test func sealedPoolReopenedReadWriteStillCannotBeWritten() throws {
        let pool = try sealedPool()
        let file = pool.file
        let raw = open("/proc/self/fd/\(file.rawValue)", O_RDWR | O_CLOEXEC)
        #expect(raw >= 0, "re-opening read-write succeeds: the file mode is not the defence")
        let reopened = FileDescriptor(owning: raw)
        #expect(throws: Errno.permissionDenied) { _ = try writeByte(1, to: reopened) }
        #expect(throws: Errno.permissionDenied) {
            _ = try MappedRegion.map(reopened, length: size, protection: [.read, .write])
        }
    }

    @Test func sealedPoolCannotShrinkOrGrow() throws {
        let pool = try sealedPool()
        let file = pool.file
        #expect(throws: Errno.permissionDenied) { try file.truncate(toSize: size / 2) }
        #expect(throws: Errno.permissionDenied) { try file.truncate(toSize: size * 2) }
        #expect(try file.size() == size)
    }

    @Test func sealedMemfdTravelsOverASocketWithItsSeals() throws {
        let pool = try sealedPool()
        let file = pool.file
        let brokerMapping = pool.brokerMapping
        brokerMapping.withUnsafeMutableBytes { $0[10] = 42 }
        let pair = try UnixSocket.pair()
        var outgoing = DescriptorList()
        outgoing.append(try file.duplicate())
        var byte: UInt8 = 0
        _ = try withUnsafeBytes(of: &byte) { try pair.first.send($0, descriptors: outgoing) }
        var incoming = DescriptorList()
        var control = ControlBuffer()
        _ = try withUnsafeMutableBytes(of: &byte) { try pair.second.receive(into: $0, descriptors: &incoming, control: &control) }
        let received = try unwrap(incoming.take(at: 0), "the memfd")
        #expect(try received.seals() == .pool)
        let clientView = try MappedRegion.map(received, length: size, protection: .read)
        #expect(clientView.withUnsafeBytes { $0[10] } == 42)
    }

    @Test func mappingZeroBytesIsRejected() throws {
        let file = try MemoryFile.create(name: "swiftbus-test", size: size)
        #expect(throws: Errno.invalidArgument) { _ = try MappedRegion.map(file, length: 0, protection: .read) }
    }
}

/// A sealed memfd and the broker's writable mapping made before the seal.
struct SealedPool: ~Copyable {
    var file: FileDescriptor
    var brokerMapping: MappedRegion
}
