// IO Events: what a descriptor is ready for, and what a handler wants to hear about.
import CSwiftBusShims

/// Readiness of a descriptor, used both as the interest given to `EventLoop.register`
/// and as the events a handler receives. `hangup` and `error` are always reported,
/// whether asked for or not, as the kernel does. The loop is level-triggered (unless a
/// registration asks for `edgeTriggered`), so a
/// handler that sees `hangup` must read what is left and deregister: otherwise the
/// kernel reports the hang-up again on every turn.
public struct IOEvents: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: EPOLLIN.rawValue)
    public static let writable = IOEvents(rawValue: EPOLLOUT.rawValue)
    /// The peer closed its end (EPOLLHUP), or its writing side (EPOLLRDHUP).
    public static let hangup = IOEvents(rawValue: EPOLLHUP.rawValue | EPOLLRDHUP.rawValue)
    public static let error = IOEvents(rawValue: EPOLLERR.rawValue)
    /// An interest flag only (EPOLLET): report readiness once per change, not on every turn.
    /// For descriptors whose every write is an edge and that are never drained — the
    /// to-broker doorbell's eventfd (`EdgeTriggeredDoorbell`).
    public static let edgeTriggered = IOEvents(rawValue: EPOLLET.rawValue)

    public var description: String {
        var names: [String] = []
        if contains(.readable) { names.append("readable") }
        if contains(.writable) { names.append("writable") }
        if !isDisjoint(with: .hangup) { names.append("hangup") }
        if contains(.error) { names.append("error") }
        return "[" + names.joined(separator: ", ") + "]"
    }

    /// The epoll mask to ask for: the interest plus peer half-close, level-triggered unless
    /// `edgeTriggered` is asked for.
    var epollMask: UInt32 {
        (rawValue & (IOEvents.readable.rawValue | IOEvents.writable.rawValue | IOEvents.edgeTriggered.rawValue)) | EPOLLRDHUP.rawValue
    }
}
