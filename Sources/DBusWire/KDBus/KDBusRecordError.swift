// KDBus Record Error: why 32 bytes from a peer are not a valid command record.

/// A command record broke a rule of docs/kdbus-transport.md §5. Records come from the other
/// process, so this is peer input: the error names the field, its byte offset in the
/// stream (so a capture can be matched), the value found and the rule it broke. The broker
/// ends the connection on any of them.
public struct KDBusRecordError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The fields of a record, named as in the document.
    public enum Field: String, Sendable, Hashable {
        case kind, flags, offset, length, priority, fdCount = "fd-count", memfdCount = "memfd-count"
        case freeCount = "free-count", freeSlot = "free-slot", lostCount = "lost-count"
        case lostTotal = "lost-total", reserved, record, descriptorCount = "descriptor-count"
    }

    /// The rules a record can break.
    public enum Problem: Sendable, Hashable {
        /// Fewer than `KDBusLimits.recordSize` bytes remain.
        case truncated(available: Int)
        /// The kind is not one the protocol defines.
        case unknownKind
        /// The kind exists but may not travel in this direction (a client sending RECV).
        case wrongDirection
        /// Flag bits that the protocol does not define are set.
        case unknownFlags(bits: UInt64)
        /// A reserved field or unused slot is not zero.
        case notZero
        /// An offset is not a multiple of `KDBusLimits.alignment`.
        case misaligned
        /// A length is zero, or a count is zero where one is required.
        case zero
        /// A value above its limit.
        case aboveLimit(limit: Int)
        /// A value below its minimum (a SEND offset inside the arena's control page).
        case belowLimit(limit: Int)
        /// A pool or arena size that is not a whole number of 4 KiB pages.
        case notPageMultiple
        /// `offset + length` overflows 64 bits.
        case overflow
    }

    public var field: Field
    /// Byte offset of the field in the stream of records (stream offset of the record plus
    /// the field's offset in it).
    public var offset: Int
    /// The raw value of the field (0 for `truncated`).
    public var value: UInt64
    public var problem: Problem

    public init(_ problem: Problem, field: Field, offset: Int, value: UInt64) {
        self.problem = problem
        self.field = field
        self.offset = offset
        self.value = value
    }

    public var description: String {
        let what: String
        switch problem {
        case .truncated(let available): what = "record truncated: \(available) of \(KDBusLimits.recordSize) bytes"
        case .unknownKind: what = "unknown record kind"
        case .wrongDirection: what = "record kind not allowed in this direction"
        case .unknownFlags(let bits): what = "undefined flag bits 0x\(String(bits, radix: 16))"
        case .notZero: what = "reserved, must be zero"
        case .misaligned: what = "not a multiple of \(KDBusLimits.alignment)"
        case .zero: what = "must not be zero"
        case .aboveLimit(let limit): what = "above the limit \(limit)"
        case .belowLimit(let limit): what = "below the minimum \(limit)"
        case .notPageMultiple: what = "not a multiple of \(KDBusLimits.pageSize)"
        case .overflow: what = "offset + length overflows"
        }
        return "kdbus record: \(field.rawValue) = \(value) at stream offset \(offset): \(what)"
    }
}
