// Test Interface: one interface declared once, served by `TestService` and called through proxies.
import Synchronization
import SwiftBus
import DBusWire

/// The interface the suite serves and calls.
enum TestInterface: DBusInterface {
    static let name = "org.swiftbus.Test"
    static let add = method("Add", (Int32, Int32).self, returns: Int32.self, argumentNames: ["a", "b"], resultNames: ["sum"])
    static let echo = method("Echo", Variant.self, returns: Variant.self)
    static let divide = method("Divide", (Int64, Int64).self, returns: (Int64, Int64).self)
    static let sleep = method("Sleep", UInt32.self, returns: Void.self)
    static let fail = method("Fail", (String, String).self, returns: Void.self)
    static let record = method("Record", String.self, returns: Void.self)
    static let recorded = method("Recorded", Void.self, returns: [String].self)
    static let interactive = method("WasInteractive", Void.self, returns: Bool.self)
    static let writeTo = method("WriteTo", (UnixFD, String).self, returns: Void.self)
    static let openPipe = method("OpenPipe", String.self, returns: UnixFD.self)
    static let bytes = method("Bytes", [UInt8].self, returns: (UInt32, [UInt8]).self)
    static let digest = method("Digest", [UInt8].self, returns: (UInt64, UInt64).self)
    /// The same `ay` taken as a MemfdPayload: its length, digest, and how many memfd parts the call came with.
    static let payloadInfo = method("PayloadInfo", MemfdPayload.self, returns: (UInt64, UInt64, UInt32).self)
    /// Returns a MemfdPayload of `count` pattern bytes.
    static let makePayload = method("MakePayload", UInt32.self, returns: MemfdPayload.self)
    static let point = method("Mirror", Point.self, returns: Point.self)
    static let emit = method("Emit", String.self, returns: Void.self)
    static let counter = property("Counter", Int32.self, access: .readwrite)
    static let label = property("Label", String.self, access: .read)
    static let ticked = signal("Ticked", (String, UInt32).self, argumentNames: ["label", "count"])
}

/// A D-Bus struct made by conformance.
struct Point: DBusStruct, Equatable {
    var x: Int32
    var y: Int32
    var name: String

    static let dbusFieldTypes: [SignatureType] = [Int32.dbusType, Int32.dbusType, String.dbusType]
    func encodeFields(to fields: inout DBusStructEncoder) throws {
        try fields.append(x)
        try fields.append(y)
        try fields.append(name)
    }
    init(x: Int32, y: Int32, name: String) {
        self.x = x
        self.y = y
        self.name = name
    }
    init(fields: inout DBusStructDecoder) throws {
        x = try fields.next()
        y = try fields.next()
        name = try fields.next()
    }
}

/// State behind the served object.
final class TestState: Sendable {
    let counter = Atomic<Int32>(0)
    let records = Mutex<[String]>([])
    let sawInteractive = Atomic<Bool>(false)
}

/// The served implementation of `TestInterface`.
func testImplementation(_ state: TestState, path: ObjectPath) -> InterfaceImplementation<TestInterface> {
    var object = InterfaceImplementation(TestInterface.self)
    object.method(TestInterface.add) { a, b in a &+ b }
    object.method(TestInterface.echo) { value in value }
    object.method(TestInterface.divide) { a, b in
        guard b != 0 else { throw DBusError(name: "org.swiftbus.Error.DivisionByZero", message: "cannot divide \(a) by zero") }
        return (a / b, a % b)
    }
    object.method(TestInterface.sleep) { milliseconds in try await Task.sleep(for: .milliseconds(Int(milliseconds))) }
    object.method(TestInterface.fail) { name, message in throw DBusError(name: name, message: message) }
    object.method(TestInterface.record) { text in state.records.withLock { $0.append(text) } }
    object.method(TestInterface.recorded) { state.records.withLock { $0 } }
    object.method(TestInterface.interactive) {
        MethodContext.current?.message.message.flags.contains(.allowInteractiveAuthorization) ?? false
    }
    object.method(TestInterface.writeTo) { fd, text in
        guard let descriptor = fd.take() else { throw DBusError(name: DBusError.invalidArgs, message: "fd already taken") }
        _ = try Array(text.utf8).withUnsafeBytes { try descriptor.write($0) }
    }
    object.method(TestInterface.openPipe) { text in try pipeHolding(text) }
    object.method(TestInterface.bytes) { bytes in (UInt32(bytes.count), Array(bytes.reversed())) }
    object.method(TestInterface.digest) { bytes in (UInt64(bytes.count), payloadDigest(bytes)) }
    object.method(TestInterface.payloadInfo) { payload in
        let parts = UInt32(MethodContext.current?.message.memfdPayloads.count ?? 0)
        return (UInt64(payload.count), payloadDigest(try payload.bytes), parts)
    }
    object.method(TestInterface.makePayload) { count in try MemfdPayload(patternPayload(Int(count), seed: 3)) }
    object.method(TestInterface.point) { point in Point(x: point.y, y: point.x, name: point.name + "!") }
    object.method(TestInterface.emit) { label in
        // Through the call's context, so the implementation does not capture its connection.
        guard let context = MethodContext.current else { throw DBusError(name: DBusError.failed, message: "no call context") }
        try context.emit(TestInterface.ticked, from: path, label, UInt32(label.utf8.count))
    }
    object.property(TestInterface.counter, get: { state.counter.load(ordering: .relaxed) },
                    set: { state.counter.store($0, ordering: .relaxed) })
    object.property(TestInterface.label, get: { "swiftbus" })
    object.signal(TestInterface.ticked)
    return object
}

/// A cheap whole-content fingerprint of a large payload (FNV-1a over 8-byte words, then
/// the tail), so a 1 GiB transfer can be checked without sending it back.
func payloadDigest(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { raw in
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let words = raw.count / 8
        for index in 0..<words { hash = (hash ^ raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* 0x100_0000_01b3 }
        for index in (words * 8)..<raw.count { hash = (hash ^ UInt64(raw[index])) &* 0x100_0000_01b3 }
        return hash
    }
}

/// `count` bytes of a pattern that differs at every position modulo 251 (a prime, so no
/// power-of-two slicing lines up with it). Built by doubling copies, so 1 GiB takes a
/// fraction of a second even in a debug build and does not hog the cooperative pool.
func patternPayload(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        let period = 251
        for index in 0..<min(count, period) { buffer[index] = UInt8((Int(seed) + index) % period) }
        var filled = min(count, period)
        // Copying whole periods keeps the pattern: position i holds (seed + i) mod 251.
        while filled < count {
            let chunk = min(filled / period * period, count - filled)
            _ = UnsafeMutableBufferPointer(rebasing: buffer[filled..<filled + chunk])
                .update(fromContentsOf: UnsafeMutableBufferPointer(rebasing: buffer[0..<chunk]))
            filled += chunk
        }
        initialized = count
    }
}
