/// Validation of bus names, interface, member and error names and object paths against the
/// D-Bus specification's grammar. Works on raw bytes so the broker can check names in a
/// received buffer without allocating; `String` overloads are for everyone else.
public enum NameValidation {
    /// Checks `bytes` against the grammar of `kind`.
    public static func validate(_ bytes: UnsafeRawBufferPointer, as kind: NameKind) throws(NameError) {
        switch kind {
        case .busName: try validateBusName(bytes)
        case .interfaceName, .errorName: try validateDottedName(bytes, kind: kind)
        case .memberName: try validateMemberName(bytes)
        case .objectPath: try validateObjectPath(bytes)
        }
    }

    /// Checks `name` against the grammar of `kind`.
    public static func validate(_ name: String, as kind: NameKind) throws(NameError) {
        var copy = name
        let result = copy.withUTF8 { utf8 -> NameError? in
            do throws(NameError) { try validate(UnsafeRawBufferPointer(utf8), as: kind) } catch { return error }
            return nil
        }
        if let result { throw result }
    }

    /// True when `name` is valid as `kind`.
    public static func isValid(_ name: String, as kind: NameKind) -> Bool {
        (try? validate(name, as: kind)) != nil
    }

    /// True when `bytes` is valid as `kind`.
    public static func isValid(_ bytes: UnsafeRawBufferPointer, as kind: NameKind) -> Bool {
        (try? validate(bytes, as: kind)) != nil
    }

    // MARK: - Grammars

    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    static let dot = UInt8(ascii: ".")
    static let underscore = UInt8(ascii: "_")
    static let hyphen = UInt8(ascii: "-")
    static let slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":")

    static func checkLength(_ bytes: UnsafeRawBufferPointer, kind: NameKind) throws(NameError) {
        if bytes.isEmpty { throw NameError(kind: kind, rule: .empty, offset: 0) }
        if bytes.count > ProtocolLimits.maxNameLength {
            throw NameError(kind: kind, rule: .tooLong, offset: ProtocolLimits.maxNameLength)
        }
    }

    /// Interface and error names: `[A-Za-z_][A-Za-z0-9_]*` elements joined by `.`, at least two.
    static func validateDottedName(_ bytes: UnsafeRawBufferPointer, kind: NameKind) throws(NameError) {
        try checkLength(bytes, kind: kind)
        if bytes[0] == dot { throw NameError(kind: kind, rule: .startsWithDot, offset: 0) }
        var elements = 1
        var elementStart = 0
        for i in 0..<bytes.count {
            let c = bytes[i]
            if c == dot {
                if i == elementStart { throw NameError(kind: kind, rule: .emptyElement, offset: i) }
                elements += 1
                elementStart = i + 1
            } else if isDigit(c) {
                if i == elementStart { throw NameError(kind: kind, rule: .elementStartsWithDigit, offset: i) }
            } else if !(isAlpha(c) || c == underscore) {
                throw NameError(kind: kind, rule: .invalidCharacter, offset: i)
            }
        }
        if elementStart == bytes.count { throw NameError(kind: kind, rule: .emptyElement, offset: bytes.count) }
        if elements < 2 { throw NameError(kind: kind, rule: .tooFewElements, offset: 0) }
    }

    /// Member names: one element `[A-Za-z_][A-Za-z0-9_]*`.
    static func validateMemberName(_ bytes: UnsafeRawBufferPointer) throws(NameError) {
        try checkLength(bytes, kind: .memberName)
        for i in 0..<bytes.count {
            let c = bytes[i]
            if isDigit(c) {
                if i == 0 { throw NameError(kind: .memberName, rule: .elementStartsWithDigit, offset: 0) }
            } else if !(isAlpha(c) || c == underscore) {
                throw NameError(kind: .memberName, rule: .invalidCharacter, offset: i)
            }
        }
    }

    /// Bus names: unique names start with `:` and their elements may start with a digit;
    /// well-known names may not. Elements are `[A-Za-z0-9_-]`, at least two.
    static func validateBusName(_ bytes: UnsafeRawBufferPointer) throws(NameError) {
        try checkLength(bytes, kind: .busName)
        let unique = bytes[0] == colon
        var i = unique ? 1 : 0
        if i < bytes.count, bytes[i] == dot { throw NameError(kind: .busName, rule: .startsWithDot, offset: i) }
        var elements = 1
        var elementStart = i
        while i < bytes.count {
            let c = bytes[i]
            if c == dot {
                if i == elementStart { throw NameError(kind: .busName, rule: .emptyElement, offset: i) }
                elements += 1
                elementStart = i + 1
            } else if isDigit(c) {
                if i == elementStart && !unique {
                    throw NameError(kind: .busName, rule: .elementStartsWithDigit, offset: i)
                }
            } else if !(isAlpha(c) || c == underscore || c == hyphen) {
                throw NameError(kind: .busName, rule: .invalidCharacter, offset: i)
            }
            i += 1
        }
        if elementStart == bytes.count { throw NameError(kind: .busName, rule: .emptyElement, offset: bytes.count) }
        if elements < 2 { throw NameError(kind: .busName, rule: .tooFewElements, offset: 0) }
    }

    /// Object paths: `/`, or `/`-separated non-empty elements of `[A-Za-z0-9_]`, no trailing `/`.
    /// There is no length limit beyond the message's.
    static func validateObjectPath(_ bytes: UnsafeRawBufferPointer) throws(NameError) {
        if bytes.isEmpty { throw NameError(kind: .objectPath, rule: .empty, offset: 0) }
        if bytes[0] != slash { throw NameError(kind: .objectPath, rule: .missingLeadingSlash, offset: 0) }
        if bytes.count == 1 { return }
        var previousWasSlash = true
        for i in 1..<bytes.count {
            let c = bytes[i]
            if c == slash {
                if previousWasSlash { throw NameError(kind: .objectPath, rule: .emptyElement, offset: i) }
                previousWasSlash = true
            } else if isAlpha(c) || isDigit(c) || c == underscore {
                previousWasSlash = false
            } else {
                throw NameError(kind: .objectPath, rule: .invalidCharacter, offset: i)
            }
        }
        if previousWasSlash { throw NameError(kind: .objectPath, rule: .trailingSlash, offset: bytes.count - 1) }
    }
}
