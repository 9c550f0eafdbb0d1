// Server: the peer every call of the benchmark goes to.
import DBusWire

/// Owns `BenchProtocol.serviceName` and answers: Echo with the call's body, Put with an
/// empty body, Sink never, Quit by returning. Replies to everything already received are
/// gathered and written at once, so a pipelined caller is not slowed by one write per reply;
/// each is patched from a template (`ReplyTemplates`), not encoded anew.
struct Server {
    /// RequestName flag DO_NOT_QUEUE: fail rather than wait if the name is taken.
    private static let doNotQueue: UInt32 = 4
    let address: String

    func run() throws(BenchError) {
        let connection = try BusConnection(address: address)
        try connection.callDriver("RequestName", [.string(BenchProtocol.serviceName), .uint32(Self.doNotQueue)])
        print("ready", terminator: "\n")
        fflushStandardOutput()
        var pending: [UInt8] = []
        var replies = ReplyTemplates()
        while true {
            if !connection.hasBufferedMessage, !pending.isEmpty {
                try connection.sendAll(pending)
                pending.removeAll(keepingCapacity: true)
            }
            let call = try connection.nextMessage()
            guard call.type == .methodCall, let member = call.string(.member) else { continue }
            if member == BenchProtocol.sink { continue }
            try replies.appendReply(to: call, payload: payload(of: call), echo: member == BenchProtocol.echo,
                                    serial: connection.takeSerial(), to: &pending)
            if member == BenchProtocol.quit {
                try connection.sendAll(pending)
                return
            }
        }
    }

    /// The bytes of a body that is one `ay`, or none.
    private func payload(of call: MessageHeaderView) -> UnsafeRawBufferPointer {
        guard call.bodyLength >= 4 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var reader = WireReader(buffer: call.buffer, byteOrder: call.byteOrder, position: call.bodyOffset)
        guard let length = try? reader.readUInt32(), call.bodyLength >= 4 + Int(length) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(rebasing: call.buffer[(call.bodyOffset + 4)..<(call.bodyOffset + 4 + Int(length))])
    }
}
