// Pipe: a close-on-exec pipe, owned end by end.
import CSwiftBusShims
import Glibc

/// The two ends of a pipe from `pipe2(O_CLOEXEC)`: a self-pipe, or a channel to a child
/// process (`--print-address=FD`, the `--fork` readiness handshake). Frozen so the ends
/// can be moved out one by one.
@frozen
public struct Pipe: ~Copyable, Sendable {
    public var readEnd: FileDescriptor
    public var writeEnd: FileDescriptor

    /// Creates a pipe whose ends are close-on-exec; pass `nonBlocking` for loop use.
    public static func make(nonBlocking: Bool = false) throws(Errno) -> Pipe {
        var raw: [CInt] = [-1, -1]
        let flags = csb_o_cloexec() | (nonBlocking ? O_NONBLOCK : 0)
        _ = try systemCall { csb_pipe2(&raw, flags) }
        return Pipe(readEnd: FileDescriptor(owning: raw[0]), writeEnd: FileDescriptor(owning: raw[1]))
    }
}
