// Test Support: small helpers shared by the BusPlatform tests.
import Glibc
@testable import BusPlatform

/// A socket path unique to this process and call, under /tmp.
func uniqueSocketPath(_ tag: String) -> String {
    return "/tmp/swiftbus-test-\(getpid())-\(tag)-\(UInt32.random(in: 0...UInt32.max))"
}

/// Sends `text` over `socket` and returns how many bytes the kernel took.
func sendText(_ text: String, over socket: borrowing UnixSocket) throws -> Int {
    var bytes = Array(text.utf8)
    return try bytes.withUnsafeMutableBytes { buffer in try socket.send(UnsafeRawBufferPointer(buffer)) }
}

/// Receives up to 4 KiB as text, with no descriptors expected.
func receiveText(from socket: borrowing UnixSocket) throws -> String {
    var list = DescriptorList()
    var control = ControlBuffer()
    var bytes = [UInt8](repeating: 0, count: 4096)
    let result = try bytes.withUnsafeMutableBytes { buffer in
        try socket.receive(into: buffer, descriptors: &list, control: &control)
    }
    return String(decoding: bytes.prefix(result.byteCount), as: UTF8.self)
}

/// Whether a raw descriptor number is open in this process.
func isOpen(_ raw: CInt) -> Bool {
    fcntl(raw, F_GETFD) != -1
}

/// Runs `body` on a fresh pthread and waits for it: for code that blocks signals in its
/// thread or must run beside the test's own thread.
func onNewThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { argument in
        let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
        box.body()
        return nil
    }, box.toOpaque())
    precondition(created == 0, "pthread_create failed: \(created)")
    pthread_join(thread, nil)
}

struct NoPendingConnection: Error {}

/// Accepts a connection that must be pending.
func acceptConnection(_ listener: borrowing UnixSocket) throws -> UnixSocket {
    switch try listener.accept() {
    case .some(let socket): return socket
    case .none: throw NoPendingConnection()
    }
}

/// Whether `accept` finds a pending connection (closing it if so).
func hasPendingConnection(_ listener: borrowing UnixSocket) throws -> Bool {
    switch try listener.accept() {
    case .some: return true
    case .none: return false
    }
}

struct MissingValue: Error, CustomStringConvertible { let description: String }

/// `#require` for noncopyable optionals, which the macro cannot take.
func unwrap<T: ~Copyable>(_ value: consuming T?, _ what: String) throws -> T {
    switch consume value {
    case .some(let wrapped): return wrapped
    case .none: throw MissingValue(description: "expected \(what)")
    }
}
