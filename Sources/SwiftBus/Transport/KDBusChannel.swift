// KDBus Channel: the client's end of the kdbus transport, synchronous and thread-bound.
import BusPlatform
import DBusWire
import Glibc

/// A connection to swiftbusd upgraded to the kdbus transport (docs/kdbus-transport.md):
/// messages go out through the send arena with SEND records, and come in as slices of the
/// read-only receive pool named by RECV records. It moves D-Bus message *bytes*; marshalling,
/// Hello and dispatch are the caller's.
///
/// Synchronous, with no event loop and no async: `send` and `receive` block (bounded by
/// their timeouts) on the calling thread. Not thread-safe: one thread uses it at a time —
/// hand it over, never share it (hence `@unchecked Sendable`).
///
/// ```swift
/// let channel = try KDBusChannel.connect(to: .path("/run/user/1000/bus"))
/// try channel.send(helloBytes)
/// let reply = try channel.receive(timeoutMilliseconds: 1000)
/// let bytes = try channel.withMessage(reply) { Array($0) }
/// channel.release(reply)
/// ```
public final class KDBusChannel: @unchecked Sendable {
    // Invariants: `input[0..<inputCount]` holds received bytes not yet decoded (less than a
    // record); `arrivedFDs` are owned, in arrival order, not yet claimed by a record;
    // `held` maps each unreleased RECV's pool offset to the memfds it owns.
    // One thread at a time (see above), so the state below is never accessed from two at
    // once: its dynamic exclusivity checks (~1 500 instructions per round trip, callgrind)
    // are off; the compile-time ones stay.
    public let agreement: KDBusAgreement
    public let socket: UnixSocket
    private let pool: PoolView
    @exclusivity(unchecked) private var arena: SendArena
    @exclusivity(unchecked) private var input = [UInt8](repeating: 0, count: KDBusChannel.readSize)
    @exclusivity(unchecked) private var inputCount = 0
    @exclusivity(unchecked) private var recordOffset = 0
    private var descriptors = DescriptorList()
    private var control = ControlBuffer()
    @exclusivity(unchecked) private var arrivedFDs: [CInt] = []
    // Invariant: messages not yet handed out are `ready[readyHead...]`.
    @exclusivity(unchecked) private var ready: [KDBusReceivedMessage] = []
    @exclusivity(unchecked) private var readyHead = 0
    @exclusivity(unchecked) private var pendingFrees: [UInt64] = []
    /// Protocol 3 (docs/kdbus-transport.md §4): the broker wakes us by futex on the pool's
    /// `clientWakeSequence` or through `wakesClient`, we wake it through `ringsBroker` (its
    /// eventfd); `commandTail`/`recvHead` are our private copies of the indices we publish in
    /// the arena.
    private let wakesClient: DoorbellListener
    private let ringsBroker: DoorbellRinger
    @exclusivity(unchecked) private var commandTail: UInt64 = 0
    @exclusivity(unchecked) private var recvHead: UInt64 = 0
    /// Whether `clientSleepsOnFutex` is up in the arena: from the first wait on, until a wait
    /// outlasts `futexWindowMilliseconds` and turns to the doorbell.
    @exclusivity(unchecked) private var sleepsOnFutex = false
    /// Descriptors at the end of `arrivedFDs` whose FDS record is not decoded yet (a read
    /// may end inside the record; its descriptors came with its first byte).
    @exclusivity(unchecked) private var unannouncedFDs = 0
    @exclusivity(unchecked) private var held: [UInt64: [CInt]] = [:]
    @exclusivity(unchecked) private var lostSinceReceive: UInt64 = 0
    /// Broadcasts dropped for this connection over its life, as the broker last reported.
    public private(set) var broadcastsLostTotal: UInt64 = 0

    /// Bytes read from the socket at once: many records, never a partial descriptor set.
    static let readSize = 64 * KDBusLimits.recordSize
    /// Released slices held back for a SEND to ride with before `receive` publishes them.
    static let maxDeferredFrees = 48
    /// How long a wait sleeps on the futex before it turns to the doorbell and the socket.
    /// The futex costs two system calls less per wake-up than `poll` plus `read` (§4.3) but
    /// sees no hang-up: a broker that vanished is noticed this much later.
    static let futexWindowMilliseconds: Int32 = 20
    /// Default bound on every wait.
    public static let defaultTimeoutMilliseconds: Int32 = 10_000

    // MARK: - Connecting

    /// Connects to `address`, authenticates (EXTERNAL, fd passing, the extension line,
    /// pipelined in one write), and sets up the pool and arena. Throws `.refused` on a bus
    /// that does not speak the transport.
    ///
    /// `firstMessages`: marshalled classic D-Bus messages (Hello, typically) written after
    /// BEGIN in that same write, before the answer is known: a client's bytes are classic
    /// until its ARENA (docs/kdbus-transport.md §2), so connecting plus Hello costs one round
    /// trip. Their replies arrive as RECVs, read with `receive`.
    public static func connect(
        to address: UnixSocketAddress, offer: KDBusOffer = KDBusOffer(), firstMessages: [UInt8] = [],
        timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds
    ) throws(KDBusChannelError) -> KDBusChannel {
        let socket: UnixSocket
        do { socket = try UnixSocket.connect(to: address) } catch { throw .system("connect to \(address)", error.errno ?? .invalidArgument) }
        var sasl = SASLClient(credential: .socket, negotiateUnixFDs: true, extensionCommand: offer.commandLine)
        try Self.write(sasl.start() + firstMessages, to: socket, timeoutMilliseconds: timeoutMilliseconds)
        var descriptors = DescriptorList()
        var control = ControlBuffer()
        var chunk = [UInt8](repeating: 0, count: readSize)
        while true {
            let count = try Self.read(into: &chunk, from: socket, descriptors: &descriptors, control: &control,
                                      timeoutMilliseconds: timeoutMilliseconds)
            let step: SASLClient.Step
            do { step = try sasl.feed(Array(chunk[0..<count])) } catch { throw .authentication(error) }
            guard let outcome = step.outcome else { continue }
            let agreement: KDBusAgreement
            switch outcome.extensionReply {
            case .accepted(let line)?:
                do { agreement = try KDBusAgreement(parsingReply: line, offer: offer) } catch { throw .negotiation(error) }
            case .refused(let text)?: throw .refused(text)
            case nil: throw .refused("no reply to the extension line")
            }
            guard outcome.unixFDsAgreed else { throw .protocolViolation("agreed to the kdbus transport without fd passing") }
            return try KDBusChannel(
                socket: socket, agreement: agreement, received: Array(chunk[outcome.consumedBytes..<count]),
                descriptors: &descriptors, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// Takes over `socket` right after BEGIN of a conversation that ended in `agreement`.
    /// `received` and `descriptors` are whatever arrived after the SASL replies (the POOL
    /// record and its memfd may have come with them). Waits for POOL, checks and maps the
    /// pool, then creates, seals and announces the arena.
    public init(
        socket: consuming UnixSocket, agreement: KDBusAgreement, received: [UInt8], descriptors: inout DescriptorList,
        timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds
    ) throws(KDBusChannelError) {
        var bytes = received
        var control = ControlBuffer()
        var chunk = [UInt8](repeating: 0, count: KDBusLimits.recordSize)
        while bytes.count < KDBusLimits.recordSize {
            let count = try Self.read(into: &chunk, from: socket, descriptors: &descriptors, control: &control,
                                      timeoutMilliseconds: timeoutMilliseconds)
            bytes += chunk[0..<count]
        }
        let first: KDBusRecord
        do { first = try KDBusRecord.decode(Array(bytes[0..<KDBusLimits.recordSize]), from: .brokerToClient) } catch { throw .record(error) }
        guard case .poolAnnouncement(let size) = first, size == UInt64(agreement.poolSize) else {
            throw .protocolViolation("the first record is \(first.kind), not POOL of the granted \(agreement.poolSize) bytes")
        }
        // POOL carries the pool memfd and both doorbell ends (§4); descriptors past them
        // belong to FDS records that came in the same read, claimed in order.
        guard descriptors.count >= 3, let poolFile = descriptors.take(at: 0), let wakes = descriptors.take(at: 1),
              let rings = descriptors.take(at: 2)
        else {
            throw .protocolViolation("POOL came with \(descriptors.count) descriptors, not the pool memfd and two doorbell ends")
        }
        var later: [CInt] = []
        for index in 3..<max(descriptors.count, 3) {
            if let fd = descriptors.take(at: index) { later.append(fd.take()) }
        }
        descriptors.removeAll()
        wakesClient = DoorbellListener(adopting: wakes)
        ringsBroker = DoorbellRinger(adopting: rings)
        do throws(PoolError) {
            pool = try PoolView.map(poolFile, expectedSize: agreement.poolSize)
        } catch { throw .pool(error) }
        do throws(PoolError) {
            arena = try SendArena.create(size: agreement.arenaSize)
        } catch { throw .pool(error) }
        let arenaFile: FileDescriptor
        do throws(PoolError) {
            arenaFile = try arena.descriptorForBroker()
        } catch { throw .pool(error) }
        self.agreement = agreement
        self.socket = socket
        let rest = bytes[KDBusLimits.recordSize...]
        input.replaceSubrange(0..<rest.count, with: rest)
        inputCount = rest.count
        arrivedFDs = later
        unannouncedFDs = later.count
        recordOffset = KDBusLimits.recordSize
        var list = DescriptorList(reservingCapacity: 1)
        list.append(arenaFile)
        try sendRecords(KDBusRecord.arenaAnnouncement(size: UInt64(agreement.arenaSize)).bytes, descriptors: list,
                        timeoutMilliseconds: timeoutMilliseconds)
        // FDS records that came with POOL (for replies to pipelined first messages).
        try decodeBuffered()
    }

    deinit {
        for fd in arrivedFDs { _ = Glibc.close(fd) }
        for fds in held.values { for fd in fds { _ = Glibc.close(fd) } }
        for message in ready[readyHead...] { for fd in message.fds + message.memfds { _ = Glibc.close(fd) } }
    }

    // MARK: - Sending

    /// The arena's data area: the longest message `send` can take.
    public var largestMessage: Int { arena.size - KDBusLimits.arenaControlSize }

    /// Sends one marshalled D-Bus message with `fds` (its `UNIX_FDS`, duplicated for the
    /// broker; the caller keeps its own). When the arena is full it waits, reading incoming
    /// records meanwhile, until the broker has consumed enough. Pending FREEs go in the
    /// same write, first.
    public func send(
        _ message: UnsafeRawBufferPointer, fds: [CInt] = [], priority: Int32 = 0,
        timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds
    ) throws(KDBusChannelError) {
        guard message.count <= largestMessage else { throw .messageTooLarge(length: message.count, arenaDataSize: largestMessage) }
        let slice = try reserve(message.count, timeoutMilliseconds: timeoutMilliseconds) { target in target.copyMemory(from: message) }
        try sendDescriptors(fds, timeoutMilliseconds: timeoutMilliseconds)
        // Pending FREEs ride in the same publication, ahead of the SEND: one doorbell at most.
        try publishCommands(.send(.init(arenaOffset: UInt64(slice.offset), length: UInt64(slice.length), priority: priority,
                                        fdCount: UInt16(fds.count))),
                            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Convenience for callers holding an array.
    public func send(_ message: [UInt8], fds: [CInt] = [], priority: Int32 = 0,
                     timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds) throws(KDBusChannelError) {
        let result = message.withUnsafeBytes { bytes in
            Result { () throws(KDBusChannelError) in
                try send(bytes, fds: fds, priority: priority, timeoutMilliseconds: timeoutMilliseconds)
            }
        }
        try result.get()
    }

    /// Sends a message given as parts (§8): its `.bytes` parts go into the arena behind a
    /// parts list, its `.memfd` parts as descriptors after `fds`. Use it for bodies of at
    /// least `agreement.memfdThreshold` bytes, or larger than the arena.
    public func send(
        parts: [KDBusOutgoingPart], fds: [CInt] = [], priority: Int32 = 0,
        timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds
    ) throws(KDBusChannelError) {
        var memfds: [CInt] = []
        for part in parts { if case .memfd(let fd, _) = part { memfds.append(fd) } }
        guard !memfds.isEmpty else {
            var joined: [UInt8] = []
            for part in parts { if case .bytes(let bytes) = part { joined += bytes } }
            return try send(joined, fds: fds, priority: priority, timeoutMilliseconds: timeoutMilliseconds)
        }
        let itemSize = KDBusSliceWriter.itemSize(payloadLength: 16)
        let itemsEnd = KDBusSliceHeader.size + parts.count * itemSize
        let inlineLength = parts.reduce(0) { sum, part in
            if case .bytes(let bytes) = part { return sum + bytes.count }
            return sum
        }
        let listLength = itemsEnd + inlineLength
        guard listLength <= largestMessage else { throw .messageTooLarge(length: listLength, arenaDataSize: largestMessage) }
        let slice = try reserve(listLength, timeoutMilliseconds: timeoutMilliseconds) { target in
            Self.writePartsList(parts, into: target, itemsEnd: itemsEnd)
        }
        try sendDescriptors(fds + memfds, timeoutMilliseconds: timeoutMilliseconds)
        try publishCommands(.send(.init(arenaOffset: UInt64(slice.offset), length: UInt64(slice.length), priority: priority,
                                        fdCount: UInt16(fds.count), memfdCount: UInt16(memfds.count))),
                            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The parts list: slice header (sequence 0), one payload item per part, inline bytes.
    private static func writePartsList(_ parts: [KDBusOutgoingPart], into target: UnsafeMutableRawBufferPointer, itemsEnd: Int) {
        var writer = KDBusSliceWriter(buffer: target)
        var data = itemsEnd
        var memfdIndex: UInt32 = 0
        for part in parts {
            switch part {
            case .bytes(let bytes):
                let start = data
                _ = writer.append(.payloadInline, payloadLength: 16) { payload in
                    payload.kdbusStore(UInt64(start), at: 0)
                    payload.kdbusStore(UInt64(bytes.count), at: 8)
                }
                bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: target[start..<start + bytes.count]).copyMemory(from: $0) }
                data += bytes.count
            case .memfd(_, let length):
                let index = memfdIndex
                _ = writer.append(.payloadMemfd, payloadLength: 16) { payload in
                    payload.kdbusStore(UInt64(length), at: 0)
                    payload.kdbusStore(index, at: 8)
                }
                memfdIndex += 1
            }
        }
        writer.finish(sequence: 0)
    }

    /// Space in the arena, filled by `fill`. When full it raises `clientWaitsForCommandSpace`
    /// and sleeps until the broker rings: the broker moves *sendsConsumed* only in a pass
    /// over the command ring, and rings a waiting client at the end of every pass (§4.2).
    private func reserve(
        _ length: Int, timeoutMilliseconds: Int32, _ fill: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(KDBusChannelError) -> PoolSlice {
        let deadline = MonotonicInstant.now().nanoseconds + UInt64(max(timeoutMilliseconds, 0)) * 1_000_000
        while true {
            let consumed = pool.loadSendsConsumed()
            arena.reclaim(sendsConsumed: consumed)
            do {
                return try arena.write(length: length, fill)
            } catch .full {
                let now = MonotonicInstant.now().nanoseconds
                guard now < deadline else { throw .timedOut(milliseconds: timeoutMilliseconds) }
                // Keep taking RECVs meanwhile, so the broker is never stuck holding ours.
                try drainReceiveRing()
                _ = try waitForBrokerProgress(timeoutMilliseconds: Int32(clamping: (deadline - now + 999_999) / 1_000_000)) {
                    pool.loadSendsConsumed() == consumed
                }
            } catch {
                throw .pool(error)
            }
        }
    }

    /// Sends duplicates of `fds` in FDS records (a complete `sendmsg` each) before the entry
    /// that claims them is published (§5); the caller keeps its own descriptors.
    private func sendDescriptors(_ fds: [CInt], timeoutMilliseconds: Int32) throws(KDBusChannelError) {
        var start = 0
        while start < fds.count {
            let count = min(fds.count - start, KDBusLimits.maxDescriptorsPerRecord)
            var list = DescriptorList(reservingCapacity: count)
            for fd in fds[start..<start + count] {
                let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
                guard copy >= 0 else { throw .system("duplicating fd \(fd)", .current) }
                list.append(FileDescriptor(owning: copy))
            }
            try sendRecords(KDBusRecord.descriptors(count: UInt32(count)).bytes, descriptors: list, timeoutMilliseconds: timeoutMilliseconds)
            start += count
        }
    }

    // MARK: - Command ring

    /// Writes the pending FREEs and then `record` (if any) into the command ring and
    /// publishes them together, ringing the broker only when the wake rule asks for it.
    private func publishCommands(_ record: KDBusRecord?, timeoutMilliseconds: Int32) throws(KDBusChannelError) {
        let published = commandTail
        var tail = published
        var index = 0
        while index < pendingFrees.count {
            let rest = pendingFrees.count - index
            let free = KDBusRecord.Free(pendingFrees[index], rest > 1 ? pendingFrees[index + 1] : nil,
                                        rest > 2 ? pendingFrees[index + 2] : nil)
            try writeCommand(.free(free), at: &tail, published: published, timeoutMilliseconds: timeoutMilliseconds)
            index += KDBusLimits.freeOffsetsPerRecord
        }
        pendingFrees.removeAll(keepingCapacity: true)
        if let record { try writeCommand(record, at: &tail, published: published, timeoutMilliseconds: timeoutMilliseconds) }
        publish(upTo: tail)
    }

    /// Publishes command entries `commandTail..<tail` (already written).
    private func publish(upTo tail: UInt64) {
        guard tail != commandTail else { return }
        let oldTail = commandTail
        commandTail = tail
        if arena.publishCommands(oldTail: oldTail, newTail: tail, brokerHead: { pool.loadCommandHead() }) { ringBroker() }
    }

    /// Writes `record` as command entry `tail` and advances it; when the ring is full it
    /// publishes what is written, raises `clientWaitsForCommandSpace` and waits for a ring.
    private func writeCommand(_ record: KDBusRecord, at tail: inout UInt64, published: UInt64,
                              timeoutMilliseconds: Int32) throws(KDBusChannelError) {
        while true {
            let head = pool.loadCommandHead()
            guard let space = RecordRing.space(tail: tail, consumerHead: head) else {
                throw .protocolViolation("the broker's commandHead \(head) is impossible for commandTail \(tail) (ring of \(RecordRing.entries))")
            }
            if space > 0 { break }
            publish(upTo: tail)
            let ringTail = tail
            let progressed = try waitForBrokerProgress(timeoutMilliseconds: timeoutMilliseconds) {
                RecordRing.space(tail: ringTail, consumerHead: pool.loadCommandHead()) == 0
            }
            guard progressed else { throw .timedOut(milliseconds: timeoutMilliseconds) }
        }
        let index = tail
        withUnsafeTemporaryAllocation(byteCount: KDBusLimits.recordSize, alignment: 8) { entry in
            record.encode(into: entry)
            arena.writeCommandEntry(index, from: UnsafeRawBufferPointer(entry))
        }
        tail += 1
    }

    /// Waits for the broker to consume commands or arena bytes (§4.2, command ring or arena
    /// full): raises `clientWaitsForCommandSpace`, re-checks `stillShort` after that fenced
    /// store — a pass that ended before it shows there, one that ends after it rings — then
    /// sleeps until a wake-up or the timeout, and lowers the flag. False when time ran out.
    private func waitForBrokerProgress(timeoutMilliseconds: Int32, stillShort: () -> Bool) throws(KDBusChannelError) -> Bool {
        arena.storeClientWaitsForCommandSpace(true)
        defer { arena.storeClientWaitsForCommandSpace(false) }
        guard stillShort() else { return true }
        return try waitForWake(timeoutMilliseconds: timeoutMilliseconds, idle: stillShort)
    }

    /// One ring on the to-broker eventfd; a saturated counter already holds a wake-up, and a
    /// gone broker shows up as a hang-up on the socket.
    private func ringBroker() { ringsBroker.ring() }

    // MARK: - Receiving

    /// The next message, waiting up to `timeoutMilliseconds` (-1: forever). Pending FREEs
    /// are written before it waits.
    public func receive(timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds) throws(KDBusChannelError) -> KDBusReceivedMessage {
        while readyHead == ready.count {
            try drainReceiveRing()
            guard readyHead == ready.count else { break }
            try flushFrees(timeoutMilliseconds: timeoutMilliseconds)
            guard try waitForWake(timeoutMilliseconds: timeoutMilliseconds, idle: { pool.loadReceiveTail() == recvHead }) else {
                throw .timedOut(milliseconds: timeoutMilliseconds)
            }
        }
        // FREEs wait for a SEND to ride with, but a receive-only caller whose messages are
        // always ready never waits: bound how many pile up (§5: within a bounded delay).
        if pendingFrees.count >= Self.maxDeferredFrees { try flushFrees(timeoutMilliseconds: timeoutMilliseconds) }
        // The last ready message is moved out, not copied (a copy retains each of its arrays).
        guard readyHead < ready.count - 1 else {
            let message = ready.removeLast()
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
            return message
        }
        let message = ready[readyHead]
        readyHead += 1
        return message
    }

    /// Consumes every published RECV-ring entry into `ready`, in order, then stores
    /// `recvHead` and rings the broker if it waits for RECV space (§4's consumer rule).
    private func drainReceiveRing() throws(KDBusChannelError) {
        try ReceiveRing.consume(head: &recvHead, pool: pool, arena: arena, ringBroker: ringBroker,
                                failure: { KDBusChannelError.protocolViolation("\($0)") }) { record throws(KDBusChannelError) in
            try takeEntry(record)
            return true
        }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) while `idle()` holds: first on the
    /// futex, for up to `futexWindowMilliseconds`, then on the to-client doorbell and the
    /// socket (§4.3). True after a wake-up, which may be spurious: the caller looks again.
    /// False when nothing came in time.
    private func waitForWake(timeoutMilliseconds: Int32, idle: () -> Bool) throws(KDBusChannelError) -> Bool {
        guard timeoutMilliseconds != 0 else { return try waitForDoorbell(timeoutMilliseconds: 0) }
        if !sleepsOnFutex {
            arena.storeClientSleepsOnFutex(true)
            sleepsOnFutex = true
        }
        // The sequence is loaded before the last look: a wake-up after the look moves it,
        // and the sleep then returns at once.
        let sequence = pool.loadClientWakeSequence()
        guard idle() else { return true }
        let window = timeoutMilliseconds < 0 ? Self.futexWindowMilliseconds : min(timeoutMilliseconds, Self.futexWindowMilliseconds)
        guard pool.sleepUntilWoken(from: sequence, timeoutMilliseconds: window) == .timedOut else { return true }
        let remaining = timeoutMilliseconds < 0 ? -1 : timeoutMilliseconds - window
        if remaining == 0 { return false }
        // From here the broker rings the doorbell; a wake-up it sent by futex before it saw
        // the flag down shows in this look (the flag store is fenced).
        arena.storeClientSleepsOnFutex(false)
        sleepsOnFutex = false
        guard idle() else { return true }
        return try waitForDoorbell(timeoutMilliseconds: remaining)
    }

    /// Waits up to `timeoutMilliseconds` for the to-client doorbell or the socket; drains
    /// the doorbell and reads FDS records. False when nothing came in time.
    private func waitForDoorbell(timeoutMilliseconds: Int32) throws(KDBusChannelError) -> Bool {
        let doorbell = wakesClient.descriptor.rawValue
        let events = withUnsafeTemporaryAllocation(of: pollfd.self, capacity: 2) { polls -> (Int32, Int16, Int16) in
            polls[0] = pollfd(fd: doorbell, events: Int16(POLLIN), revents: 0)
            polls[1] = pollfd(fd: socket.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            while true {
                let ready = poll(polls.baseAddress!, 2, timeoutMilliseconds)
                if ready >= 0 || errno != EINTR { return (ready, polls[0].revents, polls[1].revents) }
            }
        }
        guard events.0 >= 0 else { throw .system("poll", .current) }
        guard events.0 > 0 else { return false }
        if events.1 != 0 {
            let drained: DoorbellDrain
            do throws(Errno) { drained = try wakesClient.drain() } catch { throw .system("read of the doorbell", error) }
            if drained == .closed { throw .endOfStream }
        }
        if events.2 != 0 { try readRecords() }
        return true
    }

    /// Reads the message bytes of `message` in place: from the slice, or, when it has memfd
    /// parts, from a mapping of the largest memfd between the other parts' bytes
    /// (`SplicedMapping`). Valid only until `release`. A message with memfd parts may be past
    /// D-Bus's limits: validate it against `MessageSizeLimits.memfdCarried`.
    public func withMessage<R>(_ message: KDBusReceivedMessage, _ body: (UnsafeRawBufferPointer) -> R) throws(KDBusChannelError) -> R {
        // The usual shape, one inline part, takes no `Result<R, _>`: its metadata, generic
        // over the caller's R, was looked up at run time on every message (~300 instructions).
        if let inline = try inlineBytes(of: message) { return body(inline) }
        let result: Result<R, KDBusChannelError>
        do {
            result = try pool.withSlice(offset: message.poolOffset, length: message.sliceLength) { slice in
                do throws(KDBusChannelError) {
                    if let read = try KDBusPayloadJoiner.withSpliced(message.items, slice: slice, memfds: message.memfds, body) {
                        return .success(read)
                    }
                    let joined = try KDBusPayloadJoiner.join(message.items[...], slice: slice, memfds: message.memfds)
                    return .success(joined.withUnsafeBytes(body))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw .pool(error)
        }
        return try result.get()
    }

    /// The message's bytes in the pool when they are one inline part, else nil. The pointer
    /// outlives `withSlice`'s closure but not the mapping, which lives as long as `self`:
    /// `withMessage` uses it at once, before returning.
    private func inlineBytes(of message: KDBusReceivedMessage) throws(KDBusChannelError) -> UnsafeRawBufferPointer? {
        do {
            return try pool.withSlice(offset: message.poolOffset, length: message.sliceLength) { slice in
                KDBusPayloadJoiner.singleInlineRange(message.items, in: slice).map { UnsafeRawBufferPointer(rebasing: slice[$0]) }
            }
        } catch {
            throw .pool(error)
        }
    }

    /// The message's bytes, copied out.
    public func messageBytes(_ message: KDBusReceivedMessage) throws(KDBusChannelError) -> [UInt8] {
        try withMessage(message) { Array($0) }
    }

    /// Gives the slice back to the broker (FREE, batched: written with the next `send`,
    /// `receive` or `flushFrees`) and closes its memfds. The fds in `message.fds` stay the
    /// caller's.
    public func release(_ message: KDBusReceivedMessage) {
        pendingFrees.append(message.poolOffset)
        // Most messages have no memfds: no hashing for them.
        guard !message.memfds.isEmpty else { return }
        for fd in held.removeValue(forKey: message.poolOffset) ?? [] { _ = Glibc.close(fd) }
    }

    /// Publishes pending FREEs now: ⌈n/3⌉ command entries, one doorbell at most.
    public func flushFrees(timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds) throws(KDBusChannelError) {
        guard !pendingFrees.isEmpty else { return }
        try publishCommands(nil, timeoutMilliseconds: timeoutMilliseconds)
    }

    // MARK: - Records

    /// Reads what the socket has and turns whole records into `ready` messages.
    private func readRecords() throws(KDBusChannelError) {
        let filled = inputCount
        let result = input.withUnsafeMutableBytes { raw in
            Result { () throws(KDBusChannelError) in
                try Self.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), from: socket, descriptors: &descriptors,
                              control: &control, timeoutMilliseconds: 0)
            }
        }
        switch result {
        case .success(let count): inputCount += count
        case .failure(.timedOut): return
        case .failure(let error): throw error
        }
        for index in 0..<descriptors.count {
            if let fd = descriptors.take(at: index) { arrivedFDs.append(fd.take()) }
        }
        unannouncedFDs += descriptors.count
        descriptors.removeAll()
        try decodeBuffered()
    }

    /// Turns the whole records already in `input` into `ready` messages.
    private func decodeBuffered() throws(KDBusChannelError) {
        var start = 0
        while inputCount - start >= KDBusLimits.recordSize {
            let at = start
            let decoded = input.withUnsafeBytes { raw in
                Result { () throws(KDBusRecordError) in
                    try KDBusRecord.decode(UnsafeRawBufferPointer(rebasing: raw[at..<at + KDBusLimits.recordSize]), from: .brokerToClient,
                                           streamOffset: recordOffset)
                }
            }
            let record: KDBusRecord
            switch decoded {
            case .success(let value): record = value
            case .failure(let error): throw .record(error)
            }
            try take(record)
            start += KDBusLimits.recordSize
            recordOffset += KDBusLimits.recordSize
        }
        if start > 0 {
            input.withUnsafeMutableBytes { raw in
                if inputCount > start { raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: inputCount - start) }
            }
            inputCount -= start
        }
    }

    /// A record from the socket: after POOL only FDS records travel there (§5).
    private func take(_ record: KDBusRecord) throws(KDBusChannelError) {
        guard case .descriptors(let count) = record else {
            throw .protocolViolation("a \(record.kind) record on the socket, where protocol 2 carries only FDS records")
        }
        // The descriptors came with the record's first byte, so they are here already.
        guard Int(count) <= unannouncedFDs else {
            throw .protocolViolation("an FDS record announces \(count) descriptors, \(unannouncedFDs) arrived with it")
        }
        unannouncedFDs -= Int(count)
    }

    /// A RECV-ring entry: RECV or BROADCASTS_LOST.
    private func takeEntry(_ record: KDBusRecord) throws(KDBusChannelError) {
        switch record {
        case .receive(let receive):
            // Set inside, not returned: a Void body keeps the generic `withSlice` from
            // instantiating a `Result` type on every message.
            var parsed: KDBusSliceContents?
            var metadata: KDBusMetadata?
            var failure: KDBusChannelError?
            let wantsMetadata = !agreement.metadata.isEmpty
            do {
                try pool.withSlice(offset: receive.poolOffset, length: receive.length) { slice in
                    do throws(KDBusItemError) { parsed = try KDBusSliceReader.read(slice) } catch {
                        failure = .slice(error)
                        return
                    }
                    guard wantsMetadata else { return }
                    do throws(KDBusMetadataError) { metadata = try KDBusMetadata(items: parsed!.items, in: slice) } catch {
                        failure = .protocolViolation("\(error)")
                    }
                }
            } catch {
                throw .pool(error)
            }
            if let failure { throw failure }
            guard let contents = parsed else { preconditionFailure("KDBusChannel.takeEntry: neither contents nor a failure") }
            let fdCount = Int(receive.fdCount)
            let messageTotal = fdCount + Int(receive.memfdCount)
            // A pidfd item means one more descriptor after the message's (docs/kdbus-transport.md §7).
            let hasPidfd = contents.items.contains { $0.type == .pidfd }
            let total = messageTotal + (hasPidfd ? 1 : 0)
            // The FDS record left the broker before this entry was published: one more
            // non-blocking read finds it if it is not here yet.
            if total > arrivedFDs.count - unannouncedFDs { try readRecords() }
            guard arrivedFDs.count - unannouncedFDs >= total else {
                throw .protocolViolation("RECV claims \(total) descriptors, FDS records delivered \(arrivedFDs.count - unannouncedFDs)")
            }
            let fds = Array(arrivedFDs[0..<fdCount])
            let memfds = Array(arrivedFDs[fdCount..<messageTotal])
            let pidfd = hasPidfd ? arrivedFDs[messageTotal] : nil
            arrivedFDs.removeFirst(total)
            if !memfds.isEmpty { held[receive.poolOffset] = memfds }
            ready.append(KDBusReceivedMessage(
                poolOffset: receive.poolOffset, sliceLength: receive.length, priority: receive.priority,
                sequence: contents.header.sequence, items: contents.items, fds: fds, memfds: memfds, processDescriptor: pidfd, metadata: metadata,
                broadcastsLostBefore: lostSinceReceive))
            lostSinceReceive = 0
        case .broadcastsLost(let lost):
            lostSinceReceive += lost.count
            broadcastsLostTotal = lost.total
        case .poolAnnouncement, .descriptors:
            throw .protocolViolation("a \(record.kind) record in the RECV ring")
        case .send, .free, .arenaAnnouncement:
            preconditionFailure("KDBusRecord.decode(from: .brokerToClient) returned a client-to-broker record")
        }
    }

    /// Writes whole records with `descriptors` attached to the first byte the kernel takes.
    private func sendRecords(_ bytes: [UInt8], descriptors: borrowing DescriptorList, timeoutMilliseconds: Int32) throws(KDBusChannelError) {
        var sent = 0
        while sent < bytes.count {
            do throws(Errno) {
                sent += try bytes.withUnsafeBytes { raw in
                    Result { () throws(Errno) in
                        let rest = UnsafeRawBufferPointer(rebasing: raw[sent...])
                        // The kernel attaches the descriptors to the first byte it takes.
                        return sent == 0 ? try socket.send(rest, descriptors: descriptors) : try socket.send(rest)
                    }
                }.get()
            } catch where error == .wouldBlock {
                // Poll only once the socket is full: a send that succeeds needs no poll first.
                guard try Self.wait(socket, for: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds) else {
                    throw .timedOut(milliseconds: timeoutMilliseconds)
                }
            } catch {
                throw .system("sendmsg", error)
            }
        }
    }

    // MARK: - Socket helpers

    private static func wait(_ socket: borrowing UnixSocket, for events: Int16, timeoutMilliseconds: Int32) throws(KDBusChannelError) -> Bool {
        var poller = pollfd(fd: socket.descriptor.rawValue, events: events, revents: 0)
        while true {
            let ready = poll(&poller, 1, timeoutMilliseconds)
            if ready >= 0 { return ready > 0 }
            guard errno == EINTR else { throw .system("poll", .current) }
        }
    }

    private static func write(_ bytes: [UInt8], to socket: borrowing UnixSocket, timeoutMilliseconds: Int32) throws(KDBusChannelError) {
        var sent = 0
        while sent < bytes.count {
            do throws(Errno) {
                sent += try bytes.withUnsafeBytes { raw in
                    Result { () throws(Errno) in try socket.send(UnsafeRawBufferPointer(rebasing: raw[sent...])) }
                }.get()
            } catch where error == .wouldBlock {
                guard try wait(socket, for: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds) else {
                    throw .timedOut(milliseconds: timeoutMilliseconds)
                }
            } catch {
                throw .system("send", error)
            }
        }
    }

    /// One read of up to `chunk.count` bytes; `.timedOut` when nothing came in time,
    /// `.endOfStream` when the broker hung up.
    private static func read(
        into chunk: inout [UInt8], from socket: borrowing UnixSocket, descriptors: inout DescriptorList,
        control: inout ControlBuffer, timeoutMilliseconds: Int32
    ) throws(KDBusChannelError) -> Int {
        try chunk.withUnsafeMutableBytes { raw in
            Result { () throws(KDBusChannelError) in
                try read(into: raw, from: socket, descriptors: &descriptors, control: &control, timeoutMilliseconds: timeoutMilliseconds)
            }
        }.get()
    }

    /// As above, into raw memory. With a timeout of 0 it does not poll first: EAGAIN is
    /// the same answer for one system call less.
    private static func read(
        into raw: UnsafeMutableRawBufferPointer, from socket: borrowing UnixSocket, descriptors: inout DescriptorList,
        control: inout ControlBuffer, timeoutMilliseconds: Int32
    ) throws(KDBusChannelError) -> Int {
        if timeoutMilliseconds != 0 {
            guard try wait(socket, for: Int16(POLLIN), timeoutMilliseconds: timeoutMilliseconds) else {
                throw .timedOut(milliseconds: timeoutMilliseconds)
            }
        }
        let received: ReceiveResult
        do throws(ReceiveError) {
            received = try socket.receive(into: raw, descriptors: &descriptors, control: &control)
        } catch .system(let error) where error == .wouldBlock {
            throw .timedOut(milliseconds: timeoutMilliseconds)
        } catch .system(let error) {
            throw .system("recvmsg", error)
        } catch {
            throw .protocolViolation("\(error)")
        }
        guard received.byteCount > 0 else { throw .endOfStream }
        return received.byteCount
    }
}
