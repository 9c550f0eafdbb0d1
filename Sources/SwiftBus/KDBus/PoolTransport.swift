/// Pool Transport: a connection's kdbus state — its receive pool, send arena and FREEs to send.
import BusPlatform
import DBusWire

/// What an upgraded connection's I/O thread holds once the broker's POOL arrived
/// (docs/kdbus-transport.md §3–§8): the read-only pool view, the send arena it created, and
/// the pool offsets it is done with, sent back as FREE records once per wake-up. A class
/// only to give the non-copyable pool and arena one owner that an optional can hold; it
/// lives on the I/O thread alone.
final class PoolTransport {
    let agreement: KDBusAgreement
    private let pool: PoolView
    private var arena: SendArena
    private var freeOffsets: [UInt64] = []
    private var freeBytesPending = 0
    /// Protocol 2 (docs/kdbus-transport.md §4): the to-client doorbell's read end (watched
    /// by the loop) and the to-broker doorbell's write end.
    let wakesClient: DoorbellListener
    private let ringsBroker: DoorbellRinger
    /// Command entries written (`written`) and published (`commandTail`); entries between
    /// them wait until the FDS records they may claim have left the socket.
    private var written: UInt64 = 0
    private var commandTail: UInt64 = 0
    private var recvHead: UInt64 = 0

    /// Slices held back for a later FREE before one is sent at once: a FREE rides along
    /// with the next SEND (one write, one broker wake-up for both) or goes after
    /// `ConnectionIO.freeDelay`, unless this many have piled up.
    static let maxDeferredFrees = 48
    /// Fraction of the pool (1/n) that deferred FREEs may hold before they go at once.
    static let deferredPoolShare = 8

    /// Maps the pool the broker sent (after checking its seals and size) and creates the arena.
    init(poolFile: consuming FileDescriptor, wakesClient: consuming FileDescriptor, ringsBroker: consuming FileDescriptor,
         agreement: KDBusAgreement) throws(KDBusTransportError) {
        self.agreement = agreement
        self.wakesClient = DoorbellListener(adopting: wakesClient)
        self.ringsBroker = DoorbellRinger(adopting: ringsBroker)
        do {
            pool = try PoolView.map(poolFile, expectedSize: agreement.poolSize)
        } catch { throw .system("mapping the receive pool", error) }
        do {
            arena = try SendArena.create(size: agreement.arenaSize)
        } catch { throw .system("creating the send arena", error) }
    }

    /// The ARENA announcement and the descriptor that goes with it.
    func arenaAnnouncement() throws(KDBusTransportError) -> (record: [UInt8], descriptor: UnixFD) {
        do {
            return (KDBusRecord.arenaAnnouncement(size: UInt64(arena.size)).bytes, UnixFD(try arena.descriptorForBroker()))
        } catch { throw .system("duplicating the arena descriptor", error) }
    }

    // MARK: Sending

    /// Bytes of the arena that hold messages.
    private var arenaDataSize: Int { arena.size - PoolLimits.arenaControlSize }

    /// Splits a marshalled message for sending: byte arrays of at least the negotiated
    /// threshold go into new sealed memfds. A message that would not fit the arena even
    /// then has every byte array of a page or more moved out; one that still does not fit
    /// (large strings or other arrays) sends its whole body as one memfd, so any message
    /// within the limits travels whatever the arena's size.
    ///
    /// With `holes` (the byte arrays the marshaller left out, `WireWriter.holeThreshold`) each
    /// hole is a memfd part — its `MemfdPayload`'s own memfd when one holds it — and the
    /// message's other bytes are never joined with them. A message whose holes cannot all be
    /// parts (too many, or the rest too large for the arena) is joined and split as above.
    func stage(_ message: [UInt8], holes: [WireHole] = [], fileDescriptors: [UnixFD],
               payloads: [MemfdPayload] = []) throws(KDBusTransportError) -> StagedMessage {
        if !holes.isEmpty {
            if let staged = try stageHoles(message, holes: holes, fileDescriptors: fileDescriptors, payloads: payloads) { return staged }
            return try stage(WireHole.joined(message, holes), fileDescriptors: fileDescriptors, payloads: payloads)
        }
        let result = message.withUnsafeBytes { bytes -> Result<StagedMessage, KDBusTransportError> in
            do throws(KDBusTransportError) {
                var ranges = try memfdRanges(in: bytes, threshold: agreement.memfdThreshold, payloads: payloads)
                var parts = KDBusMessageParts.parts(messageLength: bytes.count, memfdRanges: ranges.map(\.range))
                if arenaLength(parts, messageLength: bytes.count) > arenaDataSize {
                    ranges = try memfdRanges(in: bytes, threshold: KDBusLimits.minMemfdThreshold, payloads: payloads)
                    parts = KDBusMessageParts.parts(messageLength: bytes.count, memfdRanges: ranges.map(\.range))
                }
                if arenaLength(parts, messageLength: bytes.count) > arenaDataSize {
                    ranges = [(Self.bodyRange(of: bytes), nil)]
                    parts = KDBusMessageParts.parts(messageLength: bytes.count, memfdRanges: ranges.map(\.range))
                }
                var memfds: [UnixFD] = []
                for (range, payload) in ranges {
                    memfds.append(try Self.memfd(holding: UnsafeRawBufferPointer(rebasing: bytes[range]), payload: payload))
                }
                return .success(StagedMessage(bytes: message, parts: ranges.isEmpty ? [] : parts,
                                              fileDescriptors: fileDescriptors, memfds: memfds))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Each hole a memfd part, or nil when they cannot all be (see `stage`).
    private func stageHoles(_ message: [UInt8], holes: [WireHole], fileDescriptors: [UnixFD],
                            payloads: [MemfdPayload]) throws(KDBusTransportError) -> StagedMessage? {
        guard holes.count <= KDBusLimits.maxMemfdParts else { return nil }
        let parts = KDBusMessageParts.parts(messageLength: message.count, holes: holes)
        guard KDBusMessageParts.partsListLength(parts) <= arenaDataSize else { return nil }
        var unused = payloads
        var memfds: [UnixFD] = []
        for hole in holes {
            let made = hole.contents.withUnsafeBytes { bytes in
                Result { () throws(KDBusTransportError) in
                    let index = unused.firstIndex { $0.holds(bytes) }
                    return try Self.memfd(holding: bytes, payload: index.map { unused.remove(at: $0) })
                }
            }
            memfds.append(try made.get())
        }
        return StagedMessage(bytes: message, parts: parts, fileDescriptors: fileDescriptors, memfds: memfds)
    }

    /// The memfd that carries `bytes`: `payload`'s own, which holds them, or a new sealed one.
    private static func memfd(holding bytes: UnsafeRawBufferPointer, payload: MemfdPayload?) throws(KDBusTransportError) -> UnixFD {
        do {
            if let payload { return try payload.descriptorForSending() }
            return UnixFD(try KDBusOutgoingPart.sealedMemfd(bytes))
        } catch { throw .system("passing a payload memfd of \(bytes.count) bytes", error) }
    }

    /// The byte arrays to pass as memfds: each that a `MemfdPayload` argument holds (its own
    /// memfd goes, as §8 asks of memory the user already has in one), and each other one of
    /// at least `threshold` bytes (a new memfd).
    private func memfdRanges(
        in message: UnsafeRawBufferPointer, threshold: Int, payloads: [MemfdPayload]
    ) throws(KDBusTransportError) -> [(range: Range<Int>, payload: MemfdPayload?)] {
        let smallest = payloads.map(\.count).filter { $0 > 0 }.min() ?? threshold
        let candidates: [Range<Int>]
        do { candidates = try LargeByteArrayFinder.ranges(in: message, threshold: min(threshold, smallest)) } catch {
            throw .badPayloadItems("outgoing message does not parse: \(error)")
        }
        var unused = payloads
        var chosen: [(range: Range<Int>, payload: MemfdPayload?)] = []
        for range in candidates {
            let bytes = UnsafeRawBufferPointer(rebasing: message[range])
            if let index = unused.firstIndex(where: { $0.holds(bytes) }) {
                chosen.append((range, unused.remove(at: index)))
            } else if range.count >= threshold {
                chosen.append((range, nil))
            }
        }
        return chosen
    }

    /// Where the body of a message this connection marshalled lies: after the header.
    private static func bodyRange(of message: UnsafeRawBufferPointer) -> Range<Int> {
        (message.count - (MessageFraming.declaredBodyLength(message) ?? 0))..<message.count
    }

    private func arenaLength(_ parts: [KDBusMessageParts.Part], messageLength: Int) -> Int {
        parts.count <= 1 ? messageLength : KDBusMessageParts.partsListLength(parts)
    }

    /// What a write that did not fit waits for the broker to consume.
    enum Shortage {
        /// Command-ring entries (the broker's `commandHead`).
        case commandRing
        /// Arena bytes (the broker's `sendsConsumed`).
        case arenaBytes
    }

    /// Writes a staged message into the arena and its SEND into the command ring (not yet
    /// published), or returns what it lacks when the broker has not yet consumed enough of
    /// the ring or the arena (`waitForCommandSpace`, then try again when it rings).
    func write(_ staged: StagedMessage) throws(KDBusTransportError) -> Shortage? {
        guard commandSpace > 0 else { return .commandRing }
        arena.reclaim(sendsConsumed: pool.loadSendsConsumed())
        let length = arenaLength(staged.parts, messageLength: staged.bytes.count)
        guard length <= arenaDataSize else {
            throw .badPayloadItems("a message of \(length) bytes outside memfds cannot fit the \(arena.size)-byte send arena")
        }
        let written = staged.bytes.withUnsafeBytes { message -> Result<PoolSlice, PoolError> in
            Result { () throws(PoolError) -> PoolSlice in
                try arena.write(length: length) { target in
                    if staged.parts.isEmpty {
                        target.copyMemory(from: message)
                    } else {
                        KDBusMessageParts.writePartsList(staged.parts, of: message, into: target)
                    }
                }
            }
        }
        let slice: PoolSlice
        switch written {
        case .success(let value): slice = value
        case .failure(.full): return .arenaBytes
        case .failure(let error): throw .system("writing to the send arena", error)
        }
        let send = KDBusRecord.Send(arenaOffset: UInt64(slice.offset), length: UInt64(slice.length),
                                    fdCount: UInt16(staged.fileDescriptors.count), memfdCount: UInt16(staged.memfds.count))
        writeCommand(.send(send))
        return nil
    }

    // MARK: Rings

    /// Command entries that may still be written, or 0 when the broker's head is impossible
    /// (it is then never read again: the connection waits for the broker's hang-up).
    private var commandSpace: Int { RecordRing.space(tail: written, consumerHead: pool.loadCommandHead()) ?? 0 }

    private func writeCommand(_ record: KDBusRecord) {
        let index = written
        withUnsafeTemporaryAllocation(byteCount: KDBusLimits.recordSize, alignment: 8) { entry in
            record.encode(into: entry)
            arena.writeCommandEntry(index, from: UnsafeRawBufferPointer(entry))
        }
        written += 1
    }

    /// Publishes every written command entry, ringing the broker when the wake rule asks.
    func publishCommands() {
        guard written != commandTail else { return }
        let oldTail = commandTail
        commandTail = written
        if arena.publishCommands(oldTail: oldTail, newTail: written, brokerHead: { pool.loadCommandHead() }) { ringBroker() }
    }

    /// Raises or lowers `clientWaitsForCommandSpace` (docs/kdbus-transport.md §4.2). Raising
    /// it fences, so the caller's next look at the broker's counts comes after the flag is
    /// visible: either that look sees the broker's progress, or the broker, which loads the
    /// flag after storing its counts, sees the flag and rings the to-client doorbell.
    func waitForCommandSpace(_ waiting: Bool) {
        arena.storeClientWaitsForCommandSpace(waiting)
    }

    private func ringBroker() { ringsBroker.ring() }

    /// Drains the to-client doorbell (one read); false when the broker closed it.
    func drainDoorbell() -> Bool {
        (try? wakesClient.drain()) != .closed
    }

    /// Hands published RECV-ring entries to `take` in order; `take` returns false to stop
    /// before an entry (its descriptors have not arrived yet), which is then seen again.
    /// Stores `recvHead` and rings the broker if it waits for RECV space.
    func consumeReceives(_ take: (KDBusRecord) -> Bool) throws(KDBusTransportError) {
        try ReceiveRing.consume(head: &recvHead, pool: pool, arena: arena, ringBroker: ringBroker,
                                failure: { KDBusTransportError.badPayloadItems("\($0)") }) { record throws(KDBusTransportError) in
            take(record)
        }
    }

    // MARK: Receiving

    /// A received message and, when the connection asked for any, its sender's metadata.
    struct Received {
        var message: Message
        var metadata: KDBusMetadata?
        /// The memfd parts, as payloads a `MemfdPayload` argument can adopt.
        var payloads: [MemfdPayload] = []
    }

    /// Decodes the message a RECV announced, straight from the pool (or, when it has memfd
    /// parts, from the parts joined), with its metadata items, and queues its slice for FREE.
    func receive(
        _ record: KDBusRecord.Receive, memfds: borrowing [UnixFD], fileDescriptorCount: Int
    ) throws(KDBusTransportError) -> Received {
        let wantsMetadata = !agreement.metadata.isEmpty
        defer {
            freeOffsets.append(record.poolOffset)
            freeBytesPending += Int(record.length)
        }
        let decoded: Result<Received, KDBusTransportError>
        do {
            decoded = try pool.withSlice(offset: record.poolOffset, length: record.length) { slice in
                Result { () throws(KDBusTransportError) -> Received in
                    let message = try Self.decode(slice, memfds: memfds, fileDescriptorCount: fileDescriptorCount)
                    var received = Received(message: message, payloads: Self.payloads(in: slice, memfds: memfds))
                    guard wantsMetadata else { return received }
                    do {
                        received.metadata = try KDBusMetadata(slice: slice)
                    } catch { throw .badPayloadItems("metadata: \(error)") }
                    return received
                }
            }
        } catch { throw .badPayloadItems("RECV names \(error)") }
        return try decoded.get()
    }

    /// The message of a slice: read in place when it is one inline part, else with its largest
    /// memfd mapped between the other parts (KDBusPayloadJoiner, shared with `KDBusChannel`).
    /// A message with memfd parts is held to the kdbus transport's limits, not D-Bus's (§8).
    static func decode(_ slice: UnsafeRawBufferPointer, memfds: [UnixFD], fileDescriptorCount: Int) throws(KDBusTransportError) -> Message {
        let contents: KDBusSliceContents
        do { contents = try KDBusSliceReader.read(slice) } catch { throw .badPayloadItems("\(error)") }
        try checkPayloadItems(contents.items, in: slice, memfdCount: memfds.count)
        do {
            if let range = KDBusPayloadJoiner.singleInlineRange(contents.items, in: slice) {
                return try Message(decoding: UnsafeRawBufferPointer(rebasing: slice[range]), unixFDsReceived: fileDescriptorCount)
            }
            let raw = memfds.map { $0.rawValue ?? -1 }
            // The largest memfd part is decoded from a mapping placed among the other bytes,
            // so its bytes are copied once, into the decoded value, not joined first.
            let spliced: Result<Message, any Error>?
            do {
                spliced = try KDBusPayloadJoiner.withSpliced(contents.items, slice: slice, memfds: raw) { bytes in
                    Result { try Message(decoding: bytes, unixFDsReceived: fileDescriptorCount, limits: .memfdCarried) }
                }
            } catch { throw KDBusTransportError.badPayloadItems("\(error)") }
            if let spliced { return try spliced.get() }
            let joined: [UInt8]
            do { joined = try KDBusPayloadJoiner.join(contents.items[...], slice: slice, memfds: raw) } catch {
                throw KDBusTransportError.badPayloadItems("\(error)")
            }
            return try Message(decoding: joined, unixFDsReceived: fileDescriptorCount)
        } catch let error as KDBusTransportError {
            throw error
        } catch {
            throw .badPayloadItems("the message in the slice is invalid: \(error)")
        }
    }

    /// The memfd parts of a slice already decoded (so its items are known to be sound).
    private static func payloads(in slice: UnsafeRawBufferPointer, memfds: [UnixFD]) -> [MemfdPayload] {
        guard !memfds.isEmpty, let contents = try? KDBusSliceReader.read(slice) else { return [] }
        return contents.items.filter { $0.type == .payloadMemfd }.map { item in
            let length = Int(slice.kdbusLoad(UInt64.self, at: item.payload.lowerBound))
            let index = Int(slice.kdbusLoad(UInt32.self, at: item.payload.lowerBound + 8))
            return MemfdPayload(received: memfds[index], count: length)
        }
    }

    /// What §7 asks beyond the joiner's checks: at least one payload item, and each memfd
    /// named exactly once (a broker naming one twice would make us map it twice).
    private static func checkPayloadItems(_ items: [KDBusItem], in slice: UnsafeRawBufferPointer, memfdCount: Int) throws(KDBusTransportError) {
        var used = Set<UInt32>()
        var payloadItems = 0
        for item in items where item.type == .payloadInline || item.type == .payloadMemfd {
            payloadItems += 1
            guard item.type == .payloadMemfd else { continue }
            let index = slice.kdbusLoad(UInt32.self, at: item.payload.lowerBound + 8)
            guard index < UInt32(memfdCount), used.insert(index).inserted else {
                throw .badPayloadItems("memfd index \(index) of \(memfdCount) repeated or out of range")
            }
        }
        guard payloadItems > 0 else { throw .badPayloadItems("no payload item") }
    }

    /// Whether slices wait for a FREE.
    var hasPendingFrees: Bool { !freeOffsets.isEmpty }

    /// Whether the pending FREEs should go now rather than wait for a SEND to ride with.
    var pendingFreesAreUrgent: Bool {
        freeOffsets.count >= Self.maxDeferredFrees || freeBytesPending >= pool.size / Self.deferredPoolShare
    }

    /// Writes FREE entries (not yet published) for as many slices received since the last
    /// call as the command ring has room for, up to 3 per entry; `hasPendingFrees` tells
    /// whether some are left for when the broker has consumed more of the ring.
    func writeFrees() {
        var index = 0
        var space = commandSpace
        while index < freeOffsets.count, space > 0 {
            let rest = freeOffsets.count - index
            writeCommand(.free(KDBusRecord.Free(freeOffsets[index], rest > 1 ? freeOffsets[index + 1] : nil,
                                                rest > 2 ? freeOffsets[index + 2] : nil)))
            index += KDBusLimits.freeOffsetsPerRecord
            space -= 1
        }
        freeOffsets.removeFirst(min(index, freeOffsets.count))
        if freeOffsets.isEmpty { freeBytesPending = 0 }
    }
}

/// A message ready for the arena: its bytes, the parts list (empty when it goes whole) and
/// the descriptors its SEND carries — its own fds, then the payload memfds made for it.
struct StagedMessage {
    let bytes: [UInt8]
    let parts: [KDBusMessageParts.Part]
    let fileDescriptors: [UnixFD]
    let memfds: [UnixFD]
}
