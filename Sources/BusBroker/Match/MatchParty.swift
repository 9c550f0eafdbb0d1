// Match Party
/// Who a sender or destination name stands for at this moment, as a bucket key holds it.
/// A rule's `sender='org.example.Name'` is filed under the peer that owns the name now, so a
/// message is looked up by its sender's `PeerID` alone; when the name changes hands the rule is
/// refiled (`MatchIndex.nameOwnerChanged`). A name nobody owns is kept by its fingerprint: no
/// sender is ever such a party, but the destination of a message to an unowned name is (an
/// eavesdropper may watch a call that is waiting for activation).
enum MatchParty: Hashable, Sendable {
    /// The bus driver, `org.freedesktop.DBus`.
    case busDriver
    case peer(PeerID)
    case unownedName(fingerprint: UInt64)

    /// The party a message's destination header stands for when the broker has no recipient
    /// peer for it: the driver, a unique name in canonical form, or a name nobody owns.
    /// dbus-daemon compares such a destination with the rule's text; this gives the same answer
    /// because a rule naming a unique name is filed under that peer and any other name under
    /// its owner, which a message without a recipient peer does not have.
    init(unaddressedDestination bytes: UnsafeRawBufferPointer) {
        if MatchParty.equal(MatchLimits.busName, bytes) {
            self = .busDriver
        } else if let peer = MatchParty.peer(uniqueNameBytes: bytes) {
            self = .peer(peer)
        } else {
            self = .unownedName(fingerprint: MatchFingerprint.of(bytes))
        }
    }

    /// Which case, for hashing a bucket key; 0 for none.
    static func tag(_ party: MatchParty?) -> UInt8 {
        switch party {
        case nil: 0
        case .busDriver: 1
        case .peer: 2
        case .unownedName: 3
        }
    }

    /// The payload, for hashing a bucket key.
    static func bits(_ party: MatchParty?) -> UInt64 {
        switch party {
        case nil, .busDriver: 0
        case .peer(let peer): peer.rawValue
        case .unownedName(let fingerprint): fingerprint
        }
    }

    /// `PeerID(uniqueName:)` on bytes: `:1.N` with `N` canonical decimal that fits 64 bits.
    static func peer(uniqueNameBytes bytes: UnsafeRawBufferPointer) -> PeerID? {
        let prefix: (UInt8, UInt8, UInt8) = (UInt8(ascii: ":"), UInt8(ascii: "1"), UInt8(ascii: "."))
        guard bytes.count > 3, bytes[0] == prefix.0, bytes[1] == prefix.1, bytes[2] == prefix.2 else { return nil }
        if bytes[3] == UInt8(ascii: "0") && bytes.count > 4 { return nil }
        var value: UInt64 = 0
        for index in 3..<bytes.count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflowA || overflowB { return nil }
            value = sum
        }
        return PeerID(value)
    }

    /// Byte equality of a string with bytes; native strings lend their bytes without copying.
    /// Index loops, because generic sequence walks call malloc in debug builds.
    static func equal(_ string: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var string = string
        return string.withUTF8 { characters in
            guard characters.count == bytes.count else { return false }
            for index in 0..<bytes.count where characters[index] != bytes[index] { return false }
            return true
        }
    }
}
