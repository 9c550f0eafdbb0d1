/// KDBus Transport Error: why the library's side of the kdbus transport gave up on a message.

/// A broken promise of the kdbus transport, seen by the library: the bus sent something the
/// protocol forbids (docs/kdbus-transport.md), or a system call failed. The connection ends
/// with this as its reason; each case names what was wrong and the figures.
enum KDBusTransportError: Error, CustomStringConvertible {
    /// A slice's payload items are not what §7 allows (the detail says how).
    case badPayloadItems(String)
    /// A system call failed while doing `what`.
    case system(String, any Error)

    var description: String {
        switch self {
        case .badPayloadItems(let detail): "slice payload items: \(detail)"
        case .system(let what, let error): "\(what): \(error)"
        }
    }
}
