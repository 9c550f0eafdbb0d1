// Output Queue
//
// One peer's outgoing bytes and the fds that travel with them, appended in place and
// written out as the socket accepts them.
import BusPlatform
import Glibc

/// Bytes waiting to be written to one peer, with descriptors attached at message starts.
/// Appending copies the message into a buffer that keeps its capacity, so a warm queue
/// allocates nothing; the descriptors are duplicates owned by the queue until sent.
///
/// Invariants: `bytes[sent...]` is unsent; each `marks` entry from `markHead` on has an
/// offset `>= sent`, in increasing order, and owns `count` numbers of `descriptors`
/// starting at its `first`.
struct OutputQueue: ~Copyable {
    private struct Mark {
        var offset: Int
        var first: Int
        var count: Int
    }

    private var bytes: [UInt8] = []
    private var sent = 0
    private var marks: [Mark] = []
    private var markHead = 0
    private var descriptors: [CInt] = []
    /// Lends queued descriptors to `sendmsg`; reused so sending allocates nothing.
    private var sendList = DescriptorList()
    /// Bytes ever appended and ever written: positions that outlive the buffer's reuse,
    /// for `InFlightCharges`.
    private(set) var totalAppended: UInt64 = 0
    private(set) var totalWritten: UInt64 = 0

    init() {}

    deinit {
        for mark in marks[markHead...] {
            for index in mark.first..<(mark.first + mark.count) { _ = Glibc.close(descriptors[index]) }
        }
    }

    /// Unsent bytes.
    var queuedBytes: Int { bytes.count - sent }
    /// Unsent descriptors.
    var queuedDescriptors: Int { marks[markHead...].reduce(0) { $0 + $1.count } }
    var isEmpty: Bool { sent == bytes.count }

    /// Appends one message and takes ownership of `fds` (already duplicated for this peer).
    /// The message is `message` followed by `body`: a large body comes straight from the
    /// sender's input buffer, so it is copied once on its way through the broker.
    mutating func append(_ message: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer = .init(start: nil, count: 0), fds: [CInt] = []) {
        if !fds.isEmpty {
            marks.append(Mark(offset: bytes.count, first: descriptors.count, count: fds.count))
            descriptors.append(contentsOf: fds)
        }
        // No reserveCapacity: it grows to exactly what is asked, so a queue that fills up
        // message by message would reallocate on every append; append grows geometrically.
        bytes.append(contentsOf: message)
        if !body.isEmpty { bytes.append(contentsOf: body) }
        totalAppended += UInt64(message.count + body.count)
    }

    /// Writes as much as the socket takes. Returns true when everything was written;
    /// false when the socket is full (wait for writable). Throws on a dead peer.
    mutating func flush(to socket: borrowing UnixSocket) throws(Errno) -> Bool {
        while sent < bytes.count {
            let written: Int
            do {
                written = try writeOnce(to: socket)
            } catch where error == .wouldBlock {
                return false
            }
            sent += written
            totalWritten += UInt64(written)
        }
        bytes.removeAll(keepingCapacity: true)
        sent = 0
        marks.removeAll(keepingCapacity: true)
        markHead = 0
        descriptors.removeAll(keepingCapacity: true)
        return true
    }

    /// One `send`: up to the next message with descriptors, or that message's first bytes
    /// together with its descriptors (the kernel attaches them to the first byte it takes).
    private mutating func writeOnce(to socket: borrowing UnixSocket) throws(Errno) -> Int {
        let hasMark = markHead < marks.count
        let nextMark = hasMark ? marks[markHead].offset : bytes.count
        if nextMark > sent {
            let start = sent
            return try bytes.withUnsafeBytes { raw in
                Result { () throws(Errno) in try socket.send(UnsafeRawBufferPointer(rebasing: raw[start..<nextMark])) }
            }.get()
        }
        let mark = marks[markHead]
        let end = markHead + 1 < marks.count ? marks[markHead + 1].offset : bytes.count
        for index in mark.first..<(mark.first + mark.count) {
            sendList.append(FileDescriptor(owning: descriptors[index]))
        }
        do {
            let start = sent
            let written = try bytes.withUnsafeBytes { raw in
                Result { () throws(Errno) in
                    try socket.send(UnsafeRawBufferPointer(rebasing: raw[start..<end]), descriptors: sendList)
                }
            }.get()
            sendList.removeAll()  // the receiver has its own copies now
            markHead += 1
            return written
        } catch {
            // Not sent: hand the numbers back to the queue without closing them.
            for index in 0..<sendList.count { _ = sendList.take(at: index)?.take() }
            sendList.removeAll()
            throw error
        }
    }
}
