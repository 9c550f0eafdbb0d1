// Fuzz target: the SASL server, fed arbitrary bytes in arbitrary chunks.
//
// Input layout: byte 0 picks the configuration (bit 0 fd passing, bit 1 anonymous, bit 2 no
// peer uid, bit 3 extension), byte 1 the chunk size (1...256); the rest is the stream.
// Checks: no crash, consumed never exceeds the chunk, replies are CRLF-terminated ASCII
// lines, and feeding in chunks ends exactly as feeding everything at once.

struct FuzzExtension: SASLServerExtension {
    mutating func reply(toCommand command: String, argument: String, unixFDsNegotiated: Bool) -> String? {
        command == "SWIFTBUS_KDBUS" ? "KDBUS_AGREED" : nil
    }
}

enum Ending: Equatable {
    case pending
    case done(SASLServerOutcome.Identity, Bool, Int)
    case failed(SASLError.Reason, Int)
}

func makeServer(_ config: UInt8) -> SASLServer {
    SASLServer(
        guid: DBusGUID("0123456789abcdef0123456789abcdef")!, peerUID: config & 4 == 0 ? 1000 : nil,
        canPassUnixFDs: config & 1 != 0, allowsAnonymous: config & 2 != 0,
        commandExtension: config & 8 != 0 ? FuzzExtension() : nil)
}

func checkReply(_ reply: [UInt8]) {
    guard !reply.isEmpty else { return }
    precondition(reply.count >= 2 && reply[reply.count - 2] == 0x0D && reply[reply.count - 1] == 0x0A, "reply not CRLF-terminated")
    precondition(reply.allSatisfy { $0 != 0 && $0 < 0x80 }, "reply not ASCII")
}

/// Feeds `stream` in chunks of `size`; returns how it ended and the replies before the end.
func run(_ config: UInt8, _ stream: [UInt8], chunk size: Int) -> (Ending, [UInt8]) {
    var server = makeServer(config)
    var replies: [UInt8] = []
    var start = 0
    while start < stream.count {
        let end = min(start + size, stream.count)
        let chunk = Array(stream[start..<end])
        do {
            let step = try server.feed(chunk)
            checkReply(step.reply)
            replies += step.reply
            if let outcome = step.outcome {
                precondition(outcome.consumedBytes > 0 && outcome.consumedBytes <= chunk.count, "consumed out of range")
                precondition(server.isFinished)
                return (.done(outcome.identity, outcome.unixFDsNegotiated, start + outcome.consumedBytes), replies)
            }
        } catch {
            checkReply(error.finalReply)
            // finalReply holds the replies of the last chunk only, so compare the rest.
            return (.failed(error.reason, error.offset), replies)
        }
        start = end
    }
    return (.pending, replies)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSASLServer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let config = data[0]
    let chunkSize = Int(data[1]) + 1
    let stream = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let (chunked, chunkedReplies) = run(config, stream, chunk: chunkSize)
    let (whole, wholeReplies) = run(config, stream, chunk: max(stream.count, 1))
    precondition(chunked == whole, "chunked \(chunked) differs from whole \(whole)")
    if case .failed = whole {} else {
        precondition(chunkedReplies == wholeReplies, "replies differ between chunked and whole feeding")
    }
    return 0
}
