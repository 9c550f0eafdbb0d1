// Pipes: helpers for fd-passing tests.
import BusPlatform
import SwiftBus

/// A pipe whose read end already holds `text`, handed out as an owned `UnixFD`.
func pipeHolding(_ text: String) throws -> UnixFD {
    let pipe = try BusPlatform.Pipe.make()
    let reader = pipe.readEnd
    let writer = pipe.writeEnd
    _ = try Array(text.utf8).withUnsafeBytes { try writer.write($0) }
    return UnixFD(reader)
}

/// Reads what is in the pipe now (up to 4 KiB) as text.
func readText(_ descriptor: borrowing FileDescriptor) throws -> String {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = try buffer.withUnsafeMutableBytes { try descriptor.read(into: $0) }
    return String(decoding: buffer.prefix(count), as: UTF8.self)
}
