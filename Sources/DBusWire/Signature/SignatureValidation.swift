/// Signature Validation
///
/// Checks signature bytes against every rule of the specification without allocating, so
/// the broker can validate signatures inside received messages in place.
enum SignatureValidation {
    /// A signature failure: the problem and the offset within the signature.
    struct Failure: Error {
        var problem: SignatureProblem
        var offset: Int
    }

    /// Checks a whole signature (zero or more complete types); returns how many complete types it holds.
    @discardableResult
    static func validate(_ s: UnsafeRawBufferPointer) throws(Failure) -> Int {
        if s.count > ProtocolLimits.maxSignatureLength {
            throw Failure(problem: .tooLong(s.count), offset: ProtocolLimits.maxSignatureLength)
        }
        // The commonest body signatures are one basic type ("s", "u", …): no walk.
        if s.count == 1 && TypeCode.isBasic(s[0]) { return 1 }
        var index = 0
        var types = 0
        while index < s.count {
            index = try endOfCompleteType(s, at: index, arrays: 0, structs: 0)
            types += 1
        }
        return types
    }

    /// The index just past the complete type starting at `index`; recursion is bounded by the nesting limits.
    static func endOfCompleteType(
        _ s: UnsafeRawBufferPointer, at index: Int, arrays: Int, structs: Int
    ) throws(Failure) -> Int {
        guard index < s.count else { throw Failure(problem: .incompleteType, offset: index) }
        let c = s[index]
        if TypeCode.isBasic(c) || c == TypeCode.variant { return index + 1 }
        switch c {
        case TypeCode.array:
            if arrays >= ProtocolLimits.maxArrayNesting {
                throw Failure(problem: .arrayNestingTooDeep, offset: index)
            }
            if index + 1 < s.count, s[index + 1] == TypeCode.dictOpen {
                return try endOfDictEntry(s, at: index + 1, arrays: arrays + 1, structs: structs)
            }
            return try endOfCompleteType(s, at: index + 1, arrays: arrays + 1, structs: structs)
        case TypeCode.structOpen:
            if structs >= ProtocolLimits.maxStructNesting {
                throw Failure(problem: .structNestingTooDeep, offset: index)
            }
            var next = index + 1
            if next < s.count, s[next] == TypeCode.structClose { throw Failure(problem: .emptyStruct, offset: index) }
            while true {
                guard next < s.count else { throw Failure(problem: .incompleteType, offset: next) }
                if s[next] == TypeCode.structClose { return next + 1 }
                next = try endOfCompleteType(s, at: next, arrays: arrays, structs: structs + 1)
            }
        case TypeCode.dictOpen:
            throw Failure(problem: .dictEntryOutsideArray, offset: index)
        case TypeCode.structClose, TypeCode.dictClose:
            throw Failure(problem: .unexpectedClose(c), offset: index)
        default:
            throw Failure(problem: .unknownTypeCode(c), offset: index)
        }
    }

    /// A dict entry `{kv}` whose `{` is at `index`.
    static func endOfDictEntry(
        _ s: UnsafeRawBufferPointer, at index: Int, arrays: Int, structs: Int
    ) throws(Failure) -> Int {
        if structs >= ProtocolLimits.maxStructNesting {
            throw Failure(problem: .structNestingTooDeep, offset: index)
        }
        let keyIndex = index + 1
        guard keyIndex < s.count else { throw Failure(problem: .incompleteType, offset: keyIndex) }
        let key = s[keyIndex]
        if key == TypeCode.dictClose { throw Failure(problem: .dictEntryFieldCount, offset: keyIndex) }
        if !TypeCode.isBasic(key) {
            // An unknown byte is a worse problem than a non-basic key; report it as such.
            if key != TypeCode.variant && key != TypeCode.array && key != TypeCode.structOpen && key != TypeCode.dictOpen {
                _ = try endOfCompleteType(s, at: keyIndex, arrays: arrays, structs: structs + 1)
            }
            throw Failure(problem: .dictEntryKeyNotBasic, offset: keyIndex)
        }
        let valueIndex = keyIndex + 1
        guard valueIndex < s.count else { throw Failure(problem: .incompleteType, offset: valueIndex) }
        if s[valueIndex] == TypeCode.dictClose { throw Failure(problem: .dictEntryFieldCount, offset: valueIndex) }
        let end = try endOfCompleteType(s, at: valueIndex, arrays: arrays, structs: structs + 1)
        guard end < s.count else { throw Failure(problem: .incompleteType, offset: end) }
        guard s[end] == TypeCode.dictClose else { throw Failure(problem: .dictEntryFieldCount, offset: end) }
        return end + 1
    }

    /// The index past the type at `index` in a signature already validated; no checks.
    static func skipValidated(_ s: UnsafeRawBufferPointer, at index: Int) -> Int {
        switch s[index] {
        case TypeCode.array:
            return skipValidated(s, at: index + 1)
        case TypeCode.structOpen, TypeCode.dictOpen:
            var next = index + 1
            while s[next] != TypeCode.structClose && s[next] != TypeCode.dictClose {
                next = skipValidated(s, at: next)
            }
            return next + 1
        default:
            return index + 1
        }
    }
}
