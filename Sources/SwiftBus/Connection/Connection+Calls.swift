/// Connection Calls: method calls, one-way messages and signals.
import DBusWire

extension Connection {
    /// Sends a method call built by hand and waits for the reply. An error reply throws
    /// `DBusError`; the timeout throws `.timedOut`; cancelling the task throws `.cancelled`.
    public func call(
        _ message: Message, fileDescriptors: [UnixFD] = [], timeout: Duration = Connection.defaultTimeout
    ) async throws -> ReceivedMessage {
        try await core.call(message, fileDescriptors: fileDescriptors, timeout: timeout)
    }

    /// Calls `member` with typed arguments and returns the typed results.
    ///
    /// ```swift
    /// let owner = try await connection.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
    ///     interface: "org.freedesktop.DBus", member: "GetNameOwner", "org.freedesktop.DBus", returning: String.self)
    /// ```
    /// `flags` may hold `.allowInteractiveAuthorization` and `.noAutoStart`; for
    /// `.noReplyExpected` use `send(destination:…)`, which does not wait.
    public func call<each Argument: DBusRepresentable, each Result: DBusRepresentable>(
        destination: String?, path: ObjectPath, interface: String?, member: String,
        _ arguments: repeat each Argument, returning: (repeat each Result).Type,
        flags: MessageFlags = [], timeout: Duration = Connection.defaultTimeout
    ) async throws -> (repeat each Result) {
        let encoded = try encodeArguments(repeat each arguments)
        let message = Message.methodCall(
            path: path.rawValue, interface: interface, member: member, destination: destination, body: encoded.body, flags: flags)
        let reply = try await core.call(message, fileDescriptors: encoded.fileDescriptors, payloads: encoded.payloads, timeout: timeout)
        do {
            return try reply.arguments(as: (repeat each Result).self)
        } catch let error as DBusTypeError {
            throw ConnectionError.unexpectedReply(member: member, error)
        }
    }

    /// Sends a method call with `NO_REPLY_EXPECTED` and returns once it is queued: the callee
    /// sends no reply, and errors are not reported back.
    public func send<each Argument: DBusRepresentable>(
        destination: String?, path: ObjectPath, interface: String?, member: String,
        _ arguments: repeat each Argument, flags: MessageFlags = []
    ) throws {
        let encoded = try encodeArguments(repeat each arguments)
        let message = Message.methodCall(
            path: path.rawValue, interface: interface, member: member, destination: destination, body: encoded.body,
            flags: flags.union(.noReplyExpected))
        _ = try core.send(message, fileDescriptors: encoded.fileDescriptors, payloads: encoded.payloads)
    }

    /// Sends any message as is (the serial is assigned here); returns the serial.
    @discardableResult
    public func send(_ message: Message, fileDescriptors: [UnixFD] = []) throws -> UInt32 {
        try core.send(message, fileDescriptors: fileDescriptors)
    }

    /// Emits a signal from the object at `path`; `destination` makes it unicast.
    public func emitSignal<each Argument: DBusRepresentable>(
        path: ObjectPath, interface: String, member: String, _ arguments: repeat each Argument, destination: String? = nil
    ) throws {
        let encoded = try encodeArguments(repeat each arguments)
        let message = Message.signal(path: path.rawValue, interface: interface, member: member, destination: destination, body: encoded.body)
        _ = try core.send(message, fileDescriptors: encoded.fileDescriptors, payloads: encoded.payloads)
    }

    /// Emits a declared signal.
    public func emit<each Argument: DBusRepresentable>(
        _ signal: SignalDeclaration<repeat each Argument>, from path: ObjectPath, _ arguments: repeat each Argument,
        destination: String? = nil
    ) throws {
        try emitSignal(path: path, interface: signal.interface, member: signal.name, repeat each arguments, destination: destination)
    }

    /// Signals that satisfy `rule`, as raw messages. The rule is added on the bus before
    /// this returns (so nothing sent afterwards is missed) and removed when the stream ends:
    /// when iteration stops and the sequence is released.
    public func messages(matching rule: MatchRule) async throws -> SignalStream<ReceivedMessage> {
        try await SignalStream(connection: self, rule: rule) { $0 }
    }
}
