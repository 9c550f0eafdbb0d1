// Control Buffer: preallocated space for the ancillary data of one recvmsg.
import CSwiftBusShims
import Glibc

/// Space for the control messages (`SCM_RIGHTS`, `SCM_CREDENTIALS`) one `recvmsg` can
/// return. Allocate one per connection and reuse it, so receiving allocates nothing.
/// A buffer sized for fewer descriptors than a peer sends makes the kernel drop the
/// excess and set `MSG_CTRUNC`, which `receive` reports as `.controlTruncated`.
public struct ControlBuffer: ~Copyable, Sendable {
    // Invariant: `storage` is owned, aligned for `cmsghdr`, `capacity` bytes, zeroed
    // before each use by `receive`; it is freed exactly once, in deinit.
    nonisolated(unsafe) let storage: UnsafeMutableRawPointer
    let capacity: Int

    /// Room for `maxDescriptors` descriptors and, if `credentials`, one `SCM_CREDENTIALS`.
    public init(maxDescriptors: Int = PlatformLimits.maxDescriptorsPerMessage, credentials: Bool = true) {
        var size = csb_cmsg_space(MemoryLayout<CInt>.size * max(maxDescriptors, 1))
        if credentials { size += csb_cmsg_space(MemoryLayout<csb_ucred>.size) }
        capacity = size
        storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<cmsghdr>.alignment)
    }

    deinit { storage.deallocate() }
}
