// Match Index Test Support: real encoded messages, and dbus-daemon's rule semantics written out plainly
import Testing
import DBusWire
@testable import BusBroker

/// A message encoded to bytes the way a peer sends it, validated into the `MessageHeaderView`
/// the broker routes with. The bytes live as long as this object, and so does the view.
final class EncodedMessage {
    let message: Message
    private let storage: UnsafeMutableRawBufferPointer
    let view: MessageHeaderView

    init(_ message: Message) throws {
        var message = message
        if message.serial == 0 { message.serial = 1 }
        self.message = message
        let bytes = try message.encoded()
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        self.storage = storage
        do {
            view = try MessageHeaderView(validating: UnsafeRawBufferPointer(storage), unixFDsReceived: message.unixFDCount)
        } catch {
            storage.deallocate()
            throw error
        }
    }

    deinit { storage.deallocate() }
}

/// The bus as the reference model sees it: who owns which well-known name.
struct NameOwnership {
    var owners: [String: PeerID] = [:]

    /// dbus-daemon's `connection_is_primary_owner`, with `nil` standing for the bus driver.
    func isPrimaryOwner(_ peer: PeerID?, of name: String) -> Bool {
        guard let peer else { return name == "org.freedesktop.DBus" }
        return name == peer.uniqueName || owners[name] == peer
    }
}

/// The recipients dbus-daemon 1.14 would add for `message` (bus/signals.c,
/// `bus_matchmaker_get_recipients`), computed by asking every rule of every peer: the
/// addressed recipient is left out, a rule's sender must be primary-owned by the sender,
/// and its destination by the recipient, or equal the message's destination text when the
/// message has no recipient peer.
func bruteForceRecipients(
    _ rules: [(owner: PeerID, rule: MatchRule)], message: EncodedMessage, sender: PeerID?, destination: PeerID?,
    ownership: NameOwnership
) -> [PeerID] {
    let destinationText = message.message.destination
    let matching = rules.filter { owner, rule in
        owner != destination
            && rule.matches(
                message.view,
                senderMatches: { ownership.isPrimaryOwner(sender, of: $0) },
                destinationMatches: { name in
                    destination.map { ownership.isPrimaryOwner($0, of: name) } ?? (name == destinationText)
                })
    }
    return Set(matching.map(\.owner)).sorted()
}

extension MatchIndex {
    /// The recipients as an array, for comparisons.
    func recipients(of message: EncodedMessage, sender: PeerID?, destination: PeerID? = nil) -> [PeerID] {
        var found: [PeerID] = []
        forEachRecipient(of: message.view, sender: sender, destination: destination) { found.append($0) }
        return found
    }

    /// The recipients and what the lookup cost.
    func recipientsAndCost(
        of message: EncodedMessage, sender: PeerID?, destination: PeerID? = nil
    ) -> ([PeerID], MatchLookupStatistics) {
        var found: [PeerID] = []
        var statistics = MatchLookupStatistics()
        forEachRecipient(of: message.view, sender: sender, destination: destination, statistics: &statistics) {
            found.append($0)
        }
        return (found, statistics)
    }
}

/// A rule from its text; test rules are always valid.
func rule(_ text: String) -> MatchRule { try! MatchRule(parsing: text) }

/// `index.remove`, callable inside `#expect` (which cannot call a mutating method).
func removeOne(_ index: inout MatchIndex, _ rule: MatchRule, owner: PeerID) -> Bool {
    index.remove(rule, owner: owner)
}
