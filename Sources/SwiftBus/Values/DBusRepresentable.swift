/// DBus Representable
import DBusWire

/// A Swift type with a fixed D-Bus type, known at compile time.
///
/// `dbusType` is a static property, so the signature of every method argument, property and
/// signal is derived from Swift types without looking at a value. Values travel as
/// `DBusValue`s; the encoding context collects the file descriptors a value carries and the
/// decoding context hands out those that arrived with a message.
public protocol DBusRepresentable: Sendable {
    /// The D-Bus type of every value of this Swift type.
    static var dbusType: SignatureType { get }
    /// This value as a D-Bus value; file descriptors are attached to `context`.
    func dbusValue(in context: inout DBusEncodingContext) throws -> DBusValue
    /// Reads a value that must have type `dbusType`.
    init(dbusValue: DBusValue, in context: DBusDecodingContext) throws
}

extension DBusRepresentable {
    /// The signature of this type, e.g. `a{sv}`.
    public static var dbusSignature: Signature { Signature(types: [dbusType]) }

    /// Decodes a value that carries no file descriptors.
    public init(dbusValue: DBusValue) throws {
        try self.init(dbusValue: dbusValue, in: DBusDecodingContext())
    }

    /// Encodes a value that carries no file descriptors; throws if it does carry one.
    public func dbusValue() throws -> DBusValue {
        var context = DBusEncodingContext()
        let value = try dbusValue(in: &context)
        if !context.fileDescriptors.isEmpty { throw DBusTypeError.fileDescriptorNotAllowed(type: Self.dbusType.signatureString) }
        return value
    }
}

/// Collects the file descriptors that the values of one message carry, in order: a
/// `UnixFD` value is written as its index in this list.
public struct DBusEncodingContext: Sendable {
    /// The descriptors to send with the message; they are duplicated when sent, the values keep theirs.
    public private(set) var fileDescriptors: [UnixFD] = []
    /// Payloads whose memfds the kdbus transport may pass instead of their bytes.
    public private(set) var memfdPayloads: [MemfdPayload] = []

    public init() {}

    /// Offers `payload`'s memfd for the message (used only on the kdbus transport).
    public mutating func attach(_ payload: MemfdPayload) {
        memfdPayloads.append(payload)
    }

    /// Adds `descriptor` to the message and returns its index.
    public mutating func attach(_ descriptor: UnixFD) -> UInt32 {
        fileDescriptors.append(descriptor)
        return UInt32(fileDescriptors.count - 1)
    }
}

/// What a received message brought besides its body: its file descriptors, owned by the
/// receiver from the moment they arrive.
public struct DBusDecodingContext: Sendable {
    /// The descriptors that arrived with the message, by index.
    public let fileDescriptors: [UnixFD]
    /// Memfd parts the message arrived with (kdbus transport), for `MemfdPayload` to adopt.
    public let memfdPayloads: [MemfdPayload]

    public init(fileDescriptors: [UnixFD] = [], memfdPayloads: [MemfdPayload] = []) {
        self.fileDescriptors = fileDescriptors
        self.memfdPayloads = memfdPayloads
    }

    /// The descriptor a `h` value refers to.
    public func fileDescriptor(at index: UInt32) throws -> UnixFD {
        guard Int(index) < fileDescriptors.count else {
            throw DBusTypeError.missingFileDescriptor(index: index, received: fileDescriptors.count)
        }
        return fileDescriptors[Int(index)]
    }
}

/// Why a D-Bus value could not become the Swift type asked for.
public enum DBusTypeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The value has another type than the Swift type maps to.
    case mismatch(expected: String, found: String)
    /// A body had fewer or more values than the declaration lists.
    case argumentCount(expected: Int, found: Int, signature: String)
    /// A `h` value named a descriptor the message did not carry.
    case missingFileDescriptor(index: UInt32, received: Int)
    /// A file descriptor in a place that cannot carry one (a property value through `dbusValue()`).
    case fileDescriptorNotAllowed(type: String)
    /// The text is not a valid object path.
    case invalidObjectPath(String)

    public var description: String {
        switch self {
        case .mismatch(let expected, let found): "expected a D-Bus value of type '\(expected)', found '\(found)'"
        case .argumentCount(let expected, let found, let signature):
            "expected \(expected) argument(s), found \(found) with signature '\(signature)'"
        case .missingFileDescriptor(let index, let received):
            "fd index \(index) refers past the \(received) descriptor(s) the message carried"
        case .fileDescriptorNotAllowed(let type): "a value of type '\(type)' carries a file descriptor where none may travel"
        case .invalidObjectPath(let text): "'\(text)' is not a valid object path"
        }
    }

    static func mismatch(_ expected: SignatureType, _ found: DBusValue) -> DBusTypeError {
        .mismatch(expected: expected.signatureString, found: found.type.signatureString)
    }
}
