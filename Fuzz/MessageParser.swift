/// Message Parser Fuzz Target
///
/// Feeds arbitrary bytes to every parser a peer's bytes reach — framing, the broker's
/// zero-allocation header view, the owning decoder — and checks that they agree with each
/// other and that whatever decodes re-encodes to bytes that decode to the same message.

/// Enough fds that messages carrying them are not rejected for that reason alone.
let fuzzFDsReceived = ProtocolLimits.maxUnixFDsPerMessage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessageParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    let framed = try? MessageFraming.messageLength(prefix: raw)
    let view = try? MessageHeaderView(validating: raw, unixFDsReceived: fuzzFDsReceived)
    let decoded = try? Message(decoding: raw, unixFDsReceived: fuzzFDsReceived)
    precondition((view == nil) == (decoded == nil), "header view and decoder disagree")
    checkMemfdCarriedLimits(raw, view: view, decoded: decoded)
    checkSplitValidation(raw, whole: view != nil)
    guard let view, let message = decoded else { return 0 }
    precondition(framed == size, "framing length \(String(describing: framed)) for a valid \(size)-byte message")
    checkFieldLocations(view, against: message)
    checkReencoding(message)
    checkRewrite(view, of: message)
    return 0
}

/// The kdbus transport's limits only lift lengths, which no input this small can reach:
/// they must accept and decode exactly what D-Bus's own limits do.
func checkMemfdCarriedLimits(_ raw: UnsafeRawBufferPointer, view: MessageHeaderView?, decoded: Message?) {
    guard raw.count < ProtocolLimits.maxArrayLength else { return }
    let large = try? MessageHeaderView(validating: raw, unixFDsReceived: fuzzFDsReceived, limits: .memfdCarried)
    precondition((large == nil) == (view == nil), "memfd-carried limits disagree with D-Bus's on a small message")
    let largeDecoded = try? Message(decoding: raw, unixFDsReceived: fuzzFDsReceived, limits: .memfdCarried)
    // Compared as bytes: a decoded NaN is not equal to itself.
    precondition((try? largeDecoded?.encoded()) == (try? decoded?.encoded()), "memfd-carried decoding differs")
}

/// The kdbus path validates a header first and its body later, where it was copied to:
/// the two steps together must accept exactly what one whole validation accepts.
func checkSplitValidation(_ raw: UnsafeRawBufferPointer, whole: Bool) {
    var split = false
    if let header = try? MessageHeaderView(validating: raw, unixFDsReceived: fuzzFDsReceived, checkingBody: false) {
        split = (try? header.validateBody(header.body)) != nil
    }
    precondition(split == whole, "header-then-body validation (\(split)) disagrees with whole validation (\(whole))")
}

/// The broker's forward path must produce a valid message equal to the input but for SENDER.
func checkRewrite(_ view: MessageHeaderView, of message: Message) {
    var writer = WireWriter()
    let sender = Array(":1.7".utf8)
    do {
        try sender.withUnsafeBytes { raw in try view.rewrite(sender: raw, into: &writer) }
    } catch { preconditionFailure("rewrite of a valid message failed: \(error)") }
    var expected = message
    expected.sender = ":1.7"
    let rewritten: Message
    do { rewritten = try Message(decoding: writer.bytes, unixFDsReceived: fuzzFDsReceived) } catch {
        preconditionFailure("rewritten message does not decode: \(error)")
    }
    let a = try? rewritten.encoded()
    let b = try? expected.encoded()
    precondition(a != nil && a == b, "rewrite changed more than the sender")
}

/// The header view's field locations must point at the values the decoder read.
func checkFieldLocations(_ view: MessageHeaderView, against message: Message) {
    let pairs: [(HeaderFieldCode, String?)] = [
        (.path, message.path), (.interface, message.interface), (.member, message.member),
        (.errorName, message.errorName), (.destination, message.destination), (.sender, message.sender),
    ]
    for (field, value) in pairs {
        precondition(view.string(field)?.string == value, "field \(field) located wrongly")
    }
    precondition(view.signature.string == message.signature.string, "signature located wrongly")
}

/// Decoded messages must encode, and the encoding must decode to an identical encoding.
/// Bytes are compared rather than messages so that a NaN double (never equal to itself) is not a finding.
func checkReencoding(_ message: Message) {
    let first: [UInt8]
    do { first = try message.encoded() } catch { preconditionFailure("valid message does not re-encode: \(error)") }
    let again: Message
    do { again = try Message(decoding: first, unixFDsReceived: fuzzFDsReceived) } catch {
        preconditionFailure("re-encoded message does not decode: \(error)")
    }
    let second: [UInt8]
    do { second = try again.encoded() } catch { preconditionFailure("second encoding failed: \(error)") }
    precondition(first == second, "encoding is not stable")
    precondition(again.body.count == message.body.count && again.serial == message.serial && again.type == message.type)
}
