/// Memfd Payload
import BusPlatform
import DBusWire
import Glibc

/// A byte array (`ay`) held in a sealed memfd: shared memory nobody can change, shrink or
/// grow (docs/kdbus-transport.md §8).
///
/// On the kdbus transport a payload travels as its memfd — the receiver maps the very same
/// memory, no new memfd is made and its bytes are not copied into the arena — and a large
/// `ay` received as a memfd part decodes to a `MemfdPayload` over that memfd. On a classic
/// connection it is sent as ordinary bytes. Either way the value being marshalled holds a
/// copy of the bytes (the wire values own their data), and so does a decoded message, so the
/// saving is the memfd, not that copy (docs/kdbus-transport.md §8.1). A class: the memfd has
/// one owner however often the value is copied.
public final class MemfdPayload: DBusRepresentable, Sendable, CustomStringConvertible {
    // Invariant: `file` is a memfd sealed with `KDBusOutgoingPart.memfdSeals`, at least `count` bytes long.
    private let file: UnixFD
    /// The payload's length in bytes.
    public let count: Int

    /// A new sealed memfd holding `bytes`.
    public init(_ bytes: some Collection<UInt8>) throws {
        let array = Array(bytes)
        file = try array.withUnsafeBytes { raw in UnixFD(try KDBusOutgoingPart.sealedMemfd(raw)) }
        count = array.count
    }

    /// Adopts a memfd the caller filled (created with `MFD_ALLOW_SEALING`): seals it as a
    /// payload if it is not sealed yet. Fails while a writable mapping of it exists (the
    /// kernel refuses the write seal then): unmap it first.
    public init(sealing descriptor: consuming FileDescriptor) throws(MemfdPayloadError) {
        let seals: FileSeals
        let size: Int
        do {
            seals = try descriptor.seals()
            size = try descriptor.size()
            if !seals.isSuperset(of: KDBusOutgoingPart.memfdSeals) { try descriptor.addSeals(KDBusOutgoingPart.memfdSeals) }
        } catch {
            throw MemfdPayloadError(errno: error)
        }
        file = UnixFD(descriptor)
        count = size
    }

    /// A memfd part the bus passed (already checked: sealed, at least `count` bytes).
    init(received file: UnixFD, count: Int) {
        self.file = file
        self.count = count
    }

    /// Reads the bytes through a read-only mapping, valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard count > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let raw = file.rawValue else { throw MemfdPayloadError(errno: .badDescriptor) }
        // A non-owning view of the descriptor for mapping; given back before returning.
        let borrowed = FileDescriptor(owning: raw)
        let mapping: MappedRegion
        do {
            mapping = try MappedRegion.map(borrowed, length: count, protection: .read)
        } catch {
            _ = borrowed.take()
            throw MemfdPayloadError(errno: error)
        }
        _ = borrowed.take()
        return try mapping.withUnsafeBytes { try body($0) }
    }

    /// The bytes, copied out.
    public var bytes: [UInt8] {
        get throws { try withUnsafeBytes { Array($0) } }
    }

    /// A descriptor for the SEND that passes this payload; the value keeps its own.
    func descriptorForSending() throws(Errno) -> UnixFD { UnixFD(try file.duplicate()) }

    /// Whether `bytes` equal this payload's contents.
    func holds(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == count else { return false }
        return (try? withUnsafeBytes { mine in count == 0 || memcmp(mine.baseAddress!, bytes.baseAddress!, count) == 0 }) ?? false
    }

    public var description: String { "MemfdPayload(\(count) bytes)" }

    public static var dbusType: SignatureType { .array(.byte) }

    public func dbusValue(in context: inout DBusEncodingContext) throws -> DBusValue {
        context.attach(self)
        return .bytes(try bytes)
    }

    /// The received memfd part holding exactly these bytes when there is one, else a new
    /// sealed memfd with them.
    public convenience init(dbusValue: DBusValue, in context: DBusDecodingContext) throws {
        guard case .bytes(let value) = dbusValue else { throw DBusTypeError.mismatch(Self.dbusType, dbusValue) }
        let match = value.withUnsafeBytes { raw in context.memfdPayloads.first { $0.holds(raw) } }
        if let match {
            self.init(received: match.file, count: match.count)
        } else {
            try self.init(value)
        }
    }
}

/// Why a memfd could not become a `MemfdPayload`.
public struct MemfdPayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    public let errno: Errno

    public var description: String {
        switch errno {
        case .busy: "cannot seal the memfd while a writable mapping of it exists: unmap it first (\(errno))"
        case .permissionDenied: "the memfd cannot be sealed: create it with MFD_ALLOW_SEALING (\(errno))"
        default: "the descriptor is not a usable memfd: \(errno)"
        }
    }
}
