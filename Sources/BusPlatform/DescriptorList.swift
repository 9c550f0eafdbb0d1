// Descriptor List: descriptors that travel with a message, owned as a group.
import Glibc

/// The descriptors attached to one message. The list owns them: those still in it when
/// it is cleared or goes away are closed, so a message dropped on an error path never
/// leaks the descriptors it carried. Reserve capacity once and reuse the list: appending
/// within capacity and `removeAll()` do not allocate.
public struct DescriptorList: ~Copyable, Sendable {
    private var raw: [CInt]

    public init(reservingCapacity capacity: Int = PlatformLimits.maxDescriptorsPerMessage) {
        raw = []
        raw.reserveCapacity(capacity)
    }

    deinit {
        for value in raw where value >= 0 { _ = Glibc.close(value) }
    }

    public var count: Int { raw.count }
    public var isEmpty: Bool { raw.isEmpty }

    /// Adds a descriptor; the list now owns it.
    public mutating func append(_ descriptor: consuming FileDescriptor) {
        raw.append(descriptor.take())
    }

    /// Adds a raw descriptor number the kernel just handed us.
    mutating func appendReceived(_ value: CInt) {
        raw.append(value)
    }

    /// Takes the descriptor at `index` out of the list; the slot stays, empty, so other
    /// indices (a message's `UNIX_FDS` references) keep their meaning.
    public mutating func take(at index: Int) -> FileDescriptor? {
        let value = raw[index]
        guard value >= 0 else { return nil }
        raw[index] = -1
        return FileDescriptor(owning: value)
    }

    /// The raw number at `index`, lent while the list owns it; -1 once taken.
    public func rawValue(at index: Int) -> CInt { raw[index] }

    /// Closes every descriptor still owned and empties the list, keeping its capacity.
    public mutating func removeAll() {
        for value in raw where value >= 0 { _ = Glibc.close(value) }
        raw.removeAll(keepingCapacity: true)
    }

    func withRawValues<R, E: Error>(_ body: (UnsafeBufferPointer<CInt>) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = raw.withUnsafeBufferPointer { buffer in
            do throws(E) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
