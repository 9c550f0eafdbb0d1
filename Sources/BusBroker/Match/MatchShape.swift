// Match Shape
/// Which exact keys a rule has, plus whether it eavesdrops. Rules of one shape are filed by the
/// same fields, so a message probes one bucket per shape in use, whatever the number of rules.
/// With seven key bits and the eavesdrop bit there are at most `MatchShape.count` shapes, and a
/// message is compatible with at most half of them (`maxCompatibleShapes`): a broadcast only
/// with shapes that have no destination, an addressed message only with eavesdropping ones.
struct MatchShape: OptionSet, Hashable, Comparable, Sendable {
    let rawValue: UInt8

    static let type = MatchShape(rawValue: 1 << 0)
    static let sender = MatchShape(rawValue: 1 << 1)
    static let destination = MatchShape(rawValue: 1 << 2)
    static let interface = MatchShape(rawValue: 1 << 3)
    static let member = MatchShape(rawValue: 1 << 4)
    static let path = MatchShape(rawValue: 1 << 5)
    /// `arg0='…'`, the exact string test; `arg0path` and `arg0namespace` are not indexed.
    static let arg0 = MatchShape(rawValue: 1 << 6)
    static let eavesdrop = MatchShape(rawValue: 1 << 7)

    /// Every value of `rawValue`.
    static let count = 256
    /// One bit (destination or eavesdrop) is fixed by whether the message is addressed.
    static let maxCompatibleShapes = count / 2

    /// The fields a bucket key of this shape hashes (the eavesdrop bit is not a field).
    var fields: MatchShape { subtracting(.eavesdrop) }

    static func < (lhs: MatchShape, rhs: MatchShape) -> Bool { lhs.rawValue < rhs.rawValue }
}
