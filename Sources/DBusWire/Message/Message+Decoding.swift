/// Message Decoding
///
/// Builds an owning `Message` from bytes, after `MessageHeaderView` has validated all of them.
extension Message {
    /// Decodes and fully validates `bytes`, which must hold exactly one message.
    /// `unixFDsReceived` is how many fds arrived with it.
    public init(decoding bytes: [UInt8], unixFDsReceived: Int = 0, limits: MessageSizeLimits = .specification) throws(WireError) {
        let result = bytes.withUnsafeBytes { raw -> Result<Message, WireError> in
            do throws(WireError) {
                return .success(try Message(decoding: raw, unixFDsReceived: unixFDsReceived, limits: limits))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Decodes and fully validates the message in `buffer`; copies what it keeps. `limits`:
    /// D-Bus's own unless the message came with memfd parts on the kdbus transport.
    public init(decoding buffer: UnsafeRawBufferPointer, unixFDsReceived: Int = 0,
                limits: MessageSizeLimits = .specification) throws(WireError) {
        let view = try MessageHeaderView(validating: buffer, unixFDsReceived: unixFDsReceived, limits: limits)
        self.init(type: view.type, serial: view.serial, flags: view.flags, byteOrder: view.byteOrder,
                  path: view.string(.path)?.string, interface: view.string(.interface)?.string,
                  member: view.string(.member)?.string, errorName: view.string(.errorName)?.string,
                  replySerial: view.replySerial, destination: view.string(.destination)?.string,
                  sender: view.string(.sender)?.string, unixFDCount: view.unixFDCount)
        let types = Signature.parseValidated(view.signature.bytes)
        var reader = WireReader(buffer: buffer, byteOrder: view.byteOrder, position: view.bodyOffset,
                                limit: view.bodyOffset + view.bodyLength, unixFDCount: view.unixFDCount)
        reader.maxByteArrayLength = limits.maxByteArrayLength
        body.reserveCapacity(types.count)
        for type in types { body.append(try reader.readValue(of: type)) }
    }
}
