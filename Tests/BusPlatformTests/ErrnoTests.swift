// Errno and descriptor ownership tests.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct ErrnoTests {
    @Test func descriptionNamesTheErrorAndExplainsIt() {
        #expect(Errno.wouldBlock.description == "EAGAIN (Resource temporarily unavailable)")
        #expect(Errno.addressInUse.description == "EADDRINUSE (Address already in use)")
        #expect(Errno(rawValue: EXDEV).description == "errno \(EXDEV) (Invalid cross-device link)")
    }

    @Test func failedCallReportsTheKernelsErrno() {
        let notOpen = FileDescriptor(owning: 987_654)
        var byte: UInt8 = 0
        #expect(throws: Errno.badDescriptor) {
            _ = try withUnsafeMutableBytes(of: &byte) { try notOpen.read(into: $0) }
        }
        _ = notOpen.take()
    }

    @Test func descriptorClosesWhenItsOwnerGoesAway() throws {
        let pipe = try Pipe.make()
        let raw: CInt
        do {
            let copy = try pipe.readEnd.duplicate()
            raw = copy.rawValue
            #expect(isOpen(raw))
        }
        #expect(!isOpen(raw))
    }

    @Test func takeHandsOverWithoutClosing() throws {
        let pipe = try Pipe.make()
        let raw = try pipe.readEnd.duplicate().take()
        #expect(isOpen(raw))
        close(raw)
    }

    @Test func explicitCloseReportsErrors() throws {
        let pipe = try Pipe.make()
        let copy = try pipe.writeEnd.duplicate()
        let raw = copy.rawValue
        try copy.close()
        #expect(!isOpen(raw))
    }

    @Test func closingANumberThatIsNotOpenIsEBADF() {
        // Far above anything the tests open, so no other test's descriptor is at risk.
        #expect(throws: Errno.badDescriptor) { try FileDescriptor(owning: 987_653).close() }
    }

    @Test func duplicatesAreCloseOnExec() throws {
        let pipe = try Pipe.make()
        #expect(try pipe.readEnd.duplicate().isCloseOnExec())
    }
}
