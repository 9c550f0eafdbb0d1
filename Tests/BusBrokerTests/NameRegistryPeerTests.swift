// Name Registry: peer IDs and unique names
import Testing
@testable import BusBroker

@Suite struct NameRegistryPeerTests {
    /// dbus-daemon 1.14.10 answered the first Hello on a fresh bus with ":1.0".
    @Test func allocatorStartsAtZeroAndNeverRepeats() {
        var allocator = UniqueNameAllocator()
        let peers = (0..<1000).map { _ in allocator.allocate() }
        #expect(peers.first?.uniqueName == ":1.0")
        #expect(peers.last?.uniqueName == ":1.999")
        #expect(Set(peers).count == peers.count)
    }

    @Test(arguments: [":1.0", ":1.7", ":1.18446744073709551615"])
    func uniqueNamesRoundTrip(name: String) {
        #expect(PeerID(uniqueName: name)?.uniqueName == name)
    }

    @Test(arguments: ["", ":1.", ":1.01", ":1.-1", ":1.x", ":2.3", "1.2", ":1.18446744073709551616", "org.example.A"])
    func malformedUniqueNamesAreRejected(name: String) {
        #expect(PeerID(uniqueName: name) == nil)
    }
}
