// Delivery: what became of a message the router handed to one receiver.

/// The outcome of queueing one unicast for its receiver, which decides what its sender hears.
enum Delivery {
    /// In the receiver's queue or pool.
    case queued
    /// The receiver has no room (queue limits, a full pool): a method call's sender gets
    /// `LimitsExceeded`.
    case refused
    /// The message itself was bad: on kdbus's one-copy path its body failed validation in
    /// the receiver's slice (docs/kdbus-transport.md §6). Nobody saw it; its sender is
    /// disconnected and gets no error.
    case rejected

    init(queued: Bool) { self = queued ? .queued : .refused }
}
