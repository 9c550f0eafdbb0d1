// File Seals: the memfd seals that make shared memory safe to hand out.
import CSwiftBusShims

/// Seals on a memfd (`F_ADD_SEALS`). Once set they cannot be removed, and with `.seal`
/// no more can be added. `pool` is what the kdbus transport puts on every memfd it hands
/// to a client: fixed size, no new writers, and nothing can change that.
public struct FileSeals: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// No further seals may be added.
    public static let seal = FileSeals(rawValue: csb_f_seal_seal())
    /// The file may not shrink: a mapped reader never faults on a vanished page.
    public static let shrink = FileSeals(rawValue: csb_f_seal_shrink())
    /// The file may not grow.
    public static let grow = FileSeals(rawValue: csb_f_seal_grow())
    /// No writes at all, and no writable mapping may exist when it is added.
    public static let write = FileSeals(rawValue: csb_f_seal_write())
    /// No new writes or writable mappings; mappings that exist stay writable (Linux 5.1+).
    public static let futureWrite = FileSeals(rawValue: csb_f_seal_future_write())

    /// The seals of a receive pool or send arena: the broker keeps its writable mapping,
    /// nobody can get another one.
    public static let pool: FileSeals = [.shrink, .grow, .futureWrite, .seal]

    public var description: String {
        let names: [(FileSeals, String)] = [
            (.seal, "seal"), (.shrink, "shrink"), (.grow, "grow"), (.write, "write"), (.futureWrite, "future-write"),
        ]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}
