// Output Queue
//
// One peer's outgoing bytes and the fds that travel with them, appended in place or
// spliced in by reference, and written out as the socket accepts them.
import BusPlatform
import DBusWire
import Glibc

/// Bytes waiting to be written to one peer, with descriptors attached at message starts.
/// Appending copies the message into a buffer that keeps its capacity (up to
/// `BrokerLimits.keptOutputCapacity`), so a warm queue allocates nothing. A large body
/// handed over from its sender's input buffer is not copied at all: the queue takes that
/// buffer (a splice) and sends from it, then frees it. Descriptors are duplicates owned by
/// the queue until sent.
///
/// Invariants: the stream to send is `bytes[sent..<p0]`, splice 0's unsent bytes,
/// `bytes[p0..<p1]`, splice 1, …, the rest of `bytes`, where `pN` is each unsent splice's
/// `position` (non-decreasing, `>= sent`). Each splice from `spliceHead` on owns `base`
/// (freed once sent or in deinit); `spliceSent` bytes of the first one are gone. Each
/// `marks` entry from `markHead` on has an offset `>= sent` into `bytes`, in increasing
/// order, and owns `count` numbers of `descriptors` starting at its `first`.
struct OutputQueue: ~Copyable {
    private struct Mark {
        var offset: Int
        var first: Int
        var count: Int
    }

    private struct Splice {
        /// Where in `bytes` it goes: after `bytes[..<position]`.
        var position: Int
        var base: UnsafeMutableRawPointer
        var range: Range<Int>
    }

    private var bytes = QueueBytes()
    private var sent = 0
    private var splices: [Splice] = []
    private var spliceHead = 0
    private var spliceSent = 0
    private var splicedBytes = 0
    private var marks: [Mark] = []
    private var markHead = 0
    private var descriptors: [CInt] = []
    /// Lends queued descriptors to `sendmsg`; grows to the most one message carried, then
    /// is reused, so a peer that never receives fds never allocates it.
    private var sendList = DescriptorList(reservingCapacity: 0)
    /// Bytes ever appended and ever written, in stream order: positions that outlive the
    /// buffer's reuse, for `InFlightCharges`.
    private(set) var totalAppended: UInt64 = 0
    private(set) var totalWritten: UInt64 = 0

    init() {}

    deinit {
        for mark in marks[markHead...] {
            for index in mark.first..<(mark.first + mark.count) { _ = Glibc.close(descriptors[index]) }
        }
        for splice in splices[spliceHead...] { splice.base.deallocate() }
    }

    /// Unsent bytes.
    var queuedBytes: Int { bytes.count - sent + splicedBytes }
    /// Unsent descriptors.
    var queuedDescriptors: Int { marks[markHead...].reduce(0) { $0 + $1.count } }
    var isEmpty: Bool { sent == bytes.count && spliceHead == splices.count }

    /// Appends one message and takes ownership of `fds` (already duplicated for this peer).
    /// The message is `message` followed by `body`: a large body comes straight from the
    /// sender's input buffer, so it is copied once on its way through the broker.
    mutating func append(_ message: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer = .init(start: nil, count: 0), fds: [CInt] = []) {
        mark(fds)
        bytes.append(message)
        if !body.isEmpty { bytes.append(body) }
        totalAppended += UInt64(message.count + body.count)
    }

    /// Appends `message` as the broker forwards it (SENDER set to `sender`, unknown header
    /// fields dropped), written once, straight into the queue; `headerLength` is its
    /// `rewrittenHeaderLength`, already checked against the protocol's limit. With
    /// `storage` (the sender's input buffer holding this message, from
    /// `InputBuffer.takeStorage`) the body is sent from there instead of copied.
    mutating func appendForwarded(_ message: MessageHeaderView, sender: UnsafeRawBufferPointer, headerLength: Int,
                                  bodyIn storage: UnsafeMutableRawPointer?, fds: [CInt]) {
        mark(fds)
        let body = message.body
        totalAppended += UInt64(headerLength + body.count)
        let inline = storage == nil ? body.count : 0
        let destination = bytes.appendUninitialized(headerLength + inline)
        let written = message.writeRewrittenHeader(sender: sender, to: destination)
        precondition(written == headerLength, "rewrittenHeaderLength and writeRewrittenHeader disagree")
        if inline > 0 { (destination + headerLength).copyMemory(from: body.baseAddress!, byteCount: inline) }
        if let storage {
            splices.append(Splice(position: bytes.count, base: storage, range: message.bodyOffset..<(message.bodyOffset + body.count)))
            splicedBytes += body.count
        }
    }

    private mutating func mark(_ fds: [CInt]) {
        guard !fds.isEmpty else { return }
        marks.append(Mark(offset: bytes.count, first: descriptors.count, count: fds.count))
        descriptors.append(contentsOf: fds)
    }

    /// Writes as much as the socket takes. Returns true when everything was written;
    /// false when the socket is full (wait for writable). Throws on a dead peer.
    mutating func flush(to socket: borrowing UnixSocket) throws(Errno) -> Bool {
        // Nothing was queued since the last reset: the usual case for a pool peer, whose
        // messages leave through its RECV ring, flushed after every message it receives.
        if bytes.count == 0 && splices.isEmpty && marks.isEmpty { return true }
        while !isEmpty {
            let complete: Bool
            do {
                complete = try writeOnce(to: socket)
            } catch where error == .wouldBlock {
                return false
            }
            // A short write means the socket buffer is full: asking again would only be
            // told EAGAIN, one system call for nothing.
            if !complete { return false }
        }
        reset()
        return true
    }

    /// Empties the drained queue, keeping a small buffer's capacity for the next messages
    /// and freeing a large one, so a burst does not pin memory for the connection's life.
    private mutating func reset() {
        bytes.removeAll()
        sent = 0
        splices.removeAll(keepingCapacity: true)
        spliceHead = 0
        spliceSent = 0
        splicedBytes = 0
        marks.removeAll(keepingCapacity: true)
        markHead = 0
        descriptors.removeAll(keepingCapacity: true)
    }

    /// One `send`: the splice due next, or bytes up to the next splice or message with
    /// descriptors, or that message's first bytes together with its descriptors (the kernel
    /// attaches them to the first byte it takes). Returns whether it all went.
    private mutating func writeOnce(to socket: borrowing UnixSocket) throws(Errno) -> Bool {
        let limit = spliceHead < splices.count ? splices[spliceHead].position : bytes.count
        if sent == limit { return try writeSplice(to: socket) }
        let hasMark = markHead < marks.count
        let nextMark = hasMark ? min(marks[markHead].offset, limit) : limit
        if nextMark > sent {
            let written = try socket.send(bytes[sent..<nextMark])
            sent += written
            totalWritten += UInt64(written)
            return sent == nextMark
        }
        let mark = marks[markHead]
        let end = min(markHead + 1 < marks.count ? marks[markHead + 1].offset : bytes.count, limit)
        for index in mark.first..<(mark.first + mark.count) {
            sendList.append(FileDescriptor(owning: descriptors[index]))
        }
        do {
            let written = try socket.send(bytes[sent..<end], descriptors: sendList)
            sendList.removeAll()  // the receiver has its own copies now
            markHead += 1
            sent += written
            totalWritten += UInt64(written)
            return sent == end
        } catch {
            // Not sent: hand the numbers back to the queue without closing them.
            for index in 0..<sendList.count { _ = sendList.take(at: index)?.take() }
            sendList.removeAll()
            throw error
        }
    }

    private mutating func writeSplice(to socket: borrowing UnixSocket) throws(Errno) -> Bool {
        let splice = splices[spliceHead]
        let from = splice.range.lowerBound + spliceSent
        let count = splice.range.upperBound - from
        let written = try socket.send(UnsafeRawBufferPointer(start: splice.base + from, count: count))
        spliceSent += written
        splicedBytes -= written
        totalWritten += UInt64(written)
        guard written == count else { return false }
        splice.base.deallocate()
        spliceHead += 1
        spliceSent = 0
        return true
    }
}

/// The queue's own bytes: raw growable storage, so a forwarded message is written into it
/// in place (`appendUninitialized`) and appends are plain `memcpy`s. Grows by doubling;
/// `removeAll` keeps up to `BrokerLimits.keptOutputCapacity` and frees anything larger.
///
/// Invariants: `storage` is nil or owned with `capacity` bytes, freed once (deinit or
/// `removeAll`); `0..<count` is written.
private struct QueueBytes: ~Copyable {
    private var storage: UnsafeMutableRawPointer?
    private(set) var count = 0
    private(set) var capacity = 0

    init() {}

    deinit { storage?.deallocate() }

    mutating func append(_ source: UnsafeRawBufferPointer) {
        guard let from = source.baseAddress, source.count > 0 else { return }
        appendUninitialized(source.count).copyMemory(from: from, byteCount: source.count)
    }

    /// Extends the bytes by `length` and returns where those bytes go; the caller writes them.
    mutating func appendUninitialized(_ length: Int) -> UnsafeMutableRawPointer {
        if count + length > capacity { grow(toAtLeast: count + length) }
        defer { count += length }
        return storage! + count
    }

    subscript(range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.map { UnsafeRawPointer($0) + range.lowerBound }, count: range.count)
    }

    mutating func removeAll() {
        count = 0
        guard capacity > BrokerLimits.keptOutputCapacity else { return }
        storage?.deallocate()
        storage = nil
        capacity = 0
    }

    private mutating func grow(toAtLeast needed: Int) {
        let size = max(needed, capacity * 2, BrokerLimits.minimumOutputCapacity)
        let grown = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        if let storage {
            grown.copyMemory(from: storage, byteCount: count)
            storage.deallocate()
        }
        storage = grown
        capacity = size
    }
}
