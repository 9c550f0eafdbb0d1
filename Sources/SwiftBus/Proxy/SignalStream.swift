/// Signal Stream
import DBusWire

/// Signals as an `AsyncSequence`. Made by `Proxy.signals(_:)` or `Connection.messages(matching:)`,
/// which add the match rule on the bus before returning, so no signal sent after that is
/// missed. The rule is removed (RemoveMatch) when the stream ends: when the iterator and
/// the sequence are released (a `for await` loop that breaks or throws does both), or when
/// the connection closes (the stream then finishes). Signals whose arguments do not have
/// the declared types are skipped.
public struct SignalStream<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = Never
    let subscription: MatchSubscription
    let stream: AsyncStream<ReceivedMessage>
    let decode: @Sendable (ReceivedMessage) throws -> Element

    init(connection: Connection, rule: MatchRule, addRuleOnBus: Bool = true,
         decode: @escaping @Sendable (ReceivedMessage) throws -> Element) async throws {
        let (id, stream) = try connection.core.subscribe(rule)
        let followed = rule.sender.flatMap { MatchSubscription.isWellKnown($0) ? $0 : nil }
        let subscription = MatchSubscription(core: connection.core, id: id, rule: addRuleOnBus ? rule : nil, followedName: followed)
        if let followed, connection.core.trackOwner(of: followed) {
            // Rule first, then the current owner: a change in between is seen either way.
            try await connection.bus.addMatch(MatchSubscription.ownerRule(for: followed))
            let owner = try? await connection.bus.getNameOwner(followed)
            connection.core.setInitialOwner(owner, of: followed)
        }
        if addRuleOnBus {
            try await connection.bus.addMatch(rule)
        }
        self.subscription = subscription
        self.stream = stream
        self.decode = decode
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(subscription: subscription, base: stream.makeAsyncIterator(), decode: decode)
    }

    /// Hands out decoded signals; holds the subscription alive while iterating.
    public struct Iterator: AsyncIteratorProtocol {
        let subscription: MatchSubscription
        var base: AsyncStream<ReceivedMessage>.Iterator
        let decode: @Sendable (ReceivedMessage) throws -> Element

        public mutating func next() async -> Element? {
            while let message = await base.next() {
                if let element = try? decode(message) { return element }
            }
            return nil
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> Element? {
            while let message = await base.next(isolation: actor) {
                if let element = try? decode(message) { return element }
            }
            return nil
        }
    }
}

/// Owns one local subscription and its rule on the bus; releasing it removes both.
/// RemoveMatch goes out with NO_REPLY_EXPECTED, because `deinit` cannot wait; the bus
/// handles a connection's messages in order, so a later call sees the rule gone.
/// A rule with a well-known sender also follows that name's owner (see `ConnectionCore.trackOwner`).
final class MatchSubscription: Sendable {
    let core: ConnectionCore
    let id: UInt64
    let rule: MatchRule?
    let followedName: String?

    init(core: ConnectionCore, id: UInt64, rule: MatchRule?, followedName: String?) {
        self.core = core
        self.id = id
        self.rule = rule
        self.followedName = followedName
    }

    deinit {
        core.unsubscribe(id)
        if let rule { removeOnBus(rule) }
        if let followedName, core.untrackOwner(of: followedName) { removeOnBus(Self.ownerRule(for: followedName)) }
    }

    private func removeOnBus(_ rule: MatchRule) {
        let message = Message.methodCall(
            path: BusDriver.path.rawValue, interface: BusDriver.interfaceName, member: "RemoveMatch",
            destination: BusDriver.busName, body: [.string(rule.description)], flags: .noReplyExpected)
        _ = try? core.send(message)
    }

    /// Senders the bus resolves to an owner: every name but unique ones and the driver's own.
    static func isWellKnown(_ name: String) -> Bool {
        !name.hasPrefix(":") && name != BusDriver.busName
    }

    static func ownerRule(for name: String) -> MatchRule {
        MatchRule(type: .signal, sender: BusDriver.busName, interface: BusDriver.interfaceName, member: "NameOwnerChanged",
                  path: BusDriver.path.rawValue, arguments: [0: name])
    }
}
