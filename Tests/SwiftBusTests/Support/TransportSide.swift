// Transport Side: which transport one connection of a test uses.
import SwiftBus
import Testing

/// Which transport one side of a test uses.
enum Side: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case classic, kdbus

    var options: ConnectionOptions { self == .classic ? .classicOnly : .default }
    var transport: ConnectionTransport { self == .classic ? .classic : .kdbus }
    var testDescription: String { rawValue }
}
