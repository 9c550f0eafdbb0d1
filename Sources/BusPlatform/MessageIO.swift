// Message I/O: sendmsg and recvmsg with descriptors and credentials.
import CSwiftBusShims
import Glibc

/// What one `receive` produced: the byte count (0 is end-of-stream) and, when the
/// socket has `SO_PASSCRED` on, the sender's credentials at the time it sent.
public struct ReceiveResult: Equatable, Sendable {
    public var byteCount: Int
    public var credentials: ProcessCredentials?
}

/// Why a `receive` failed. A truncated control message is its own case: the peer sent
/// more descriptors than we made room for, the kernel dropped the rest, and the stream
/// can no longer be trusted — the broker treats it as a protocol violation.
public enum ReceiveError: Error, Equatable, Sendable, CustomStringConvertible {
    case system(Errno)
    /// `MSG_CTRUNC`: `byteCount` bytes were consumed; the `descriptorsClosed` that did
    /// arrive were closed at once so none leak.
    case controlTruncated(byteCount: Int, descriptorsClosed: Int, room: Int)

    public var description: String {
        switch self {
        case .system(let error): "recvmsg: \(error)"
        case .controlTruncated(let bytes, let closed, let room):
            "recvmsg: control data truncated (MSG_CTRUNC) after \(bytes) bytes: the peer sent more "
                + "descriptors than the \(room) we accept; closed the \(closed) that arrived"
        }
    }
}

extension UnixSocket {
    /// Sends up to `bytes.count` bytes with no descriptors and returns how many the kernel
    /// took; fewer means the socket buffer is full (wait for writable), and EAGAIN is
    /// thrown when it took none. Never raises SIGPIPE: a gone peer is EPIPE.
    public func send(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try retryingSystemCall { Glibc.send(descriptor.rawValue, bytes.baseAddress, bytes.count, csb_msg_nosignal()) }
    }

    /// Sends bytes with `descriptors` attached (`SCM_RIGHTS`). The kernel attaches the
    /// descriptors to the first byte it takes, so on a partial send they have gone with
    /// it: send the rest without them. More than `PlatformLimits.maxDescriptorsPerMessage`
    /// is refused by the kernel with EINVAL. The list keeps its descriptors (they are
    /// duplicated into the receiver), so one message can go to many receivers.
    public func send(_ bytes: UnsafeRawBufferPointer, descriptors: borrowing DescriptorList) throws(Errno) -> Int {
        if descriptors.isEmpty { return try send(bytes) }
        return try descriptors.withRawValues { raw throws(Errno) in try send(bytes, rawDescriptors: raw) }
    }

    private func send(_ bytes: UnsafeRawBufferPointer, rawDescriptors: UnsafeBufferPointer<CInt>) throws(Errno) -> Int {
        let payload = rawDescriptors.count * MemoryLayout<CInt>.size
        let space = csb_cmsg_space(payload)
        // A stack buffer for the control message: at 253 descriptors it is about 1 KiB.
        let outcome: Result<Int, Errno> = withUnsafeTemporaryAllocation(
            byteCount: space, alignment: MemoryLayout<cmsghdr>.alignment
        ) { control in
            control.initializeMemory(as: UInt8.self, repeating: 0)
            var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control.baseAddress
                message.msg_controllen = space
                let header = csb_cmsg_firsthdr(&message)!
                header.pointee.cmsg_level = SOL_SOCKET
                header.pointee.cmsg_type = csb_scm_rights()
                header.pointee.cmsg_len = csb_cmsg_len(payload)
                UnsafeMutableRawPointer(csb_cmsg_data(header)!)
                    .copyMemory(from: rawDescriptors.baseAddress!, byteCount: payload)
                do throws(Errno) {
                    return .success(try retryingSystemCall { sendmsg(descriptor.rawValue, &message, csb_msg_nosignal()) })
                } catch {
                    return .failure(error)
                }
            }
        }
        return try outcome.get()
    }

    /// Receives up to `buffer.count` bytes. Descriptors that came with them are appended
    /// to `descriptors` (close-on-exec, via `MSG_CMSG_CLOEXEC`); `control` must be reused
    /// across calls so receiving allocates nothing. EAGAIN is `.system(.wouldBlock)`.
    public func receive(
        into buffer: UnsafeMutableRawBufferPointer,
        descriptors: inout DescriptorList,
        control: inout ControlBuffer
    ) throws(ReceiveError) -> ReceiveResult {
        control.storage.initializeMemory(as: UInt8.self, repeating: 0, count: control.capacity)
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var message = msghdr()
        let received: Int
        do {
            received = try withUnsafeMutablePointer(to: &vector) { vectorPointer throws(Errno) in
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control.storage
                message.msg_controllen = control.capacity
                return try retryingSystemCall { recvmsg(descriptor.rawValue, &message, csb_msg_cmsg_cloexec()) }
            }
        } catch {
            throw .system(error)
        }
        let truncated = message.msg_flags & csb_msg_ctrunc() != 0
        var result = ReceiveResult(byteCount: received, credentials: nil)
        var arrived = 0
        var header = csb_cmsg_firsthdr(&message)
        while let current = header {
            arrived += collect(current, into: &descriptors, closing: truncated, credentials: &result.credentials)
            header = csb_cmsg_nxthdr(&message, current)
        }
        if truncated {
            let room = (control.capacity - csb_cmsg_len(0)) / MemoryLayout<CInt>.size
            throw .controlTruncated(byteCount: received, descriptorsClosed: arrived, room: room)
        }
        return result
    }

    /// Takes the descriptors or credentials out of one control message; returns how many
    /// descriptors it held. With `closing` they are closed instead of kept.
    private func collect(
        _ header: UnsafeMutablePointer<cmsghdr>,
        into descriptors: inout DescriptorList,
        closing: Bool,
        credentials: inout ProcessCredentials?
    ) -> Int {
        guard header.pointee.cmsg_level == SOL_SOCKET else { return 0 }
        let data = UnsafeRawPointer(csb_cmsg_data(header)!)
        let payload = Int(header.pointee.cmsg_len) - csb_cmsg_len(0)
        if header.pointee.cmsg_type == csb_scm_credentials(), payload >= MemoryLayout<csb_ucred>.size {
            credentials = ProcessCredentials(data.loadUnaligned(as: csb_ucred.self))
            return 0
        }
        guard header.pointee.cmsg_type == csb_scm_rights() else { return 0 }
        let count = payload / MemoryLayout<CInt>.size
        for index in 0..<count {
            let value = data.loadUnaligned(fromByteOffset: index * MemoryLayout<CInt>.size, as: CInt.self)
            if closing { _ = Glibc.close(value) } else { descriptors.appendReceived(value) }
        }
        return count
    }
}
