/// Signature
///
/// A validated D-Bus signature: zero or more complete types.
public struct Signature: Sendable, Hashable, CustomStringConvertible {
    /// The signature as text, e.g. `sa{sv}`.
    public let string: String
    /// The complete types, in order.
    public let types: [SignatureType]

    /// The empty signature: no values.
    public static let empty = Signature(types: [])

    /// Parses and validates `string` against every signature rule of the specification.
    /// Errors carry the offset within the signature.
    public init(_ string: String) throws(WireError) {
        var copy = string
        let parsed = copy.withUTF8 { utf8 -> Result<[SignatureType], WireError> in
            let raw = UnsafeRawBufferPointer(utf8)
            do throws(SignatureValidation.Failure) {
                try SignatureValidation.validate(raw)
            } catch {
                return .failure(WireError(.invalidSignature(error.problem), at: error.offset))
            }
            return .success(Signature.parseValidated(raw))
        }
        switch parsed {
        case .success(let types): self.string = string; self.types = types
        case .failure(let error): throw error
        }
    }

    /// A signature made of `types`. It is not checked here, because a type tree can only break
    /// the length and nesting limits; encoding a message checks those and throws.
    public init(types: [SignatureType]) {
        var bytes: [UInt8] = []
        for type in types { type.appendSignature(to: &bytes) }
        self.string = String(decoding: bytes, as: UTF8.self)
        self.types = types
    }

    /// Builds the types of signature bytes already checked by `SignatureValidation`.
    static func parseValidated(_ raw: UnsafeRawBufferPointer) -> [SignatureType] {
        var types: [SignatureType] = []
        var index = 0
        while index < raw.count { types.append(SignatureType.parseValidated(raw, at: &index)) }
        return types
    }

    public var description: String { string }

    public static func == (lhs: Signature, rhs: Signature) -> Bool { lhs.string == rhs.string }
    public func hash(into hasher: inout Hasher) { hasher.combine(string) }
}

extension Signature {
    /// A signature from bytes already checked by `SignatureValidation` (e.g. read from a message).
    init(validatedBytes raw: UnsafeRawBufferPointer) {
        self.string = String(decoding: raw, as: UTF8.self)
        self.types = Signature.parseValidated(raw)
    }
}
