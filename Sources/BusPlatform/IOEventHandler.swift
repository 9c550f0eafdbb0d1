// IO Event Handler: the object an EventLoop calls when its descriptor is ready.

/// What the loop calls when a registered descriptor is ready. A protocol on a class
/// rather than a closure: the broker's peers and listeners are objects already, and
/// calling through the existential costs no allocation per event.
///
/// The loop is level-triggered: a handler may do a bounded amount of work (read one
/// buffer, accept a few connections) and return; if more is pending the kernel reports
/// the descriptor again on the next turn. This gives each peer a fair share per turn
/// without the ready list an edge-triggered loop needs.
public protocol IOEventHandler: AnyObject {
    func handleEvents(_ events: IOEvents, in loop: EventLoop)
}

/// A registration with an `EventLoop`: the handle to change interest or deregister.
/// The generation makes a handle from a slot that has since been reused harmless.
public struct IORegistration: Hashable, Sendable {
    let slot: UInt32
    let generation: UInt32

    var token: UInt64 { UInt64(generation) << 32 | UInt64(slot) }
}
