// Process Metadata Directory: one /proc directory, its files read relative to it.
import Glibc

/// An open /proc directory (a process's, or `/proc/self/fdinfo`). Files are opened relative to it (`openat`), so every read of a
/// peer's /proc/PID goes through the directory that was checked against its pidfd.
/// Each read stops at `ProcessMetadata.maxTextLength` bytes.
struct ProcessMetadataDirectory: ~Copyable {
    let path: String
    let descriptor: FileDescriptor

    init(path: String) throws(ProcessMetadataError) {
        let raw = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard raw >= 0 else {
            let error = Errno.current
            throw error == .noSuchFile ? .processExited(Self.processID(in: path)) : .unreadable(path: path, error)
        }
        self.path = path
        descriptor = FileDescriptor(owning: raw)
    }

    func describe(_ name: String) -> String { path + "/" + name }

    /// The file's bytes, up to `ProcessMetadata.maxTextLength`.
    func read(_ name: String) throws(ProcessMetadataError) -> [UInt8] {
        let raw = openat(descriptor.rawValue, name, O_RDONLY | O_CLOEXEC)
        guard raw >= 0 else { throw .unreadable(path: describe(name), Errno.current) }
        let file = FileDescriptor(owning: raw)
        do throws(Errno) {
            return try Self.readToEnd(file)
        } catch {
            throw .unreadable(path: describe(name), error)
        }
    }

    /// First buffer for a /proc file: status, the largest one read, is about 1.5 KiB.
    static let initialReadCapacity = 4096

    /// Reads until end of file or `ProcessMetadata.maxTextLength` bytes, whichever is first.
    /// The buffer starts small and grows fourfold when filled, so a short file costs no 64 KiB.
    private static func readToEnd(_ file: borrowing FileDescriptor) throws(Errno) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: initialReadCapacity)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count < ProcessMetadata.maxTextLength else { break }
                bytes += [UInt8](repeating: 0, count: min(bytes.count * 3, ProcessMetadata.maxTextLength - bytes.count))
            }
            let count = try bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) }
            }.get()
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// The file's bytes, or nil where it is missing or not ours to read.
    func readIfPossible(_ name: String) -> [UInt8]? { try? read(name) }

    /// Longest link target the kernel returns (`PATH_MAX`).
    static let maxLinkLength = 4096

    /// A symbolic link's target, or nil where it cannot be read (another user's process, a
    /// kernel thread, a zombie).
    func readLinkIfPossible(_ name: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: Self.maxLinkLength)
        let count = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { readlinkat(descriptor.rawValue, name, $0.baseAddress!, $0.count) }
        }
        guard count > 0 else { return nil }
        bytes.removeSubrange(Int(count)...)
        return bytes
    }

    private static func processID(in path: String) -> pid_t {
        pid_t(ProcessMetadata.decimal(path.utf8.split(separator: UInt8(ascii: "/")).last ?? []) ?? 0)
    }
}
