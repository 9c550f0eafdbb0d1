// Process Metadata Reading: /proc/PID through a directory checked against the peer's pidfd.
import Glibc

extension ProcessMetadata {
    /// Reads what /proc says about `processID`, which `processDescriptor` (its pidfd, from
    /// `SO_PEERPIDFD`) pins. Call it once, at connect; it allocates and makes ~10 system calls.
    ///
    /// Why this order cannot be fooled by a recycled pid: /proc/PID is opened first, then the
    /// pidfd is checked to still name a live `processID`. A live pidfd process has held that
    /// number since before the open, so the directory is its own; and a /proc/PID directory
    /// stays bound to its process (reads through it fail once it is gone), so a pid recycled
    /// after the check cannot be reached through it either.
    public static func read(processDescriptor: borrowing FileDescriptor, processID: pid_t) throws(ProcessMetadataError) -> ProcessMetadata {
        let directory = try ProcessMetadataDirectory(path: "/proc/\(processID)")
        try verify(processDescriptor, names: processID)
        let status = try directory.read("status").split(separator: UInt8(ascii: "\n"))
        let userIDs = try ids("Uid", in: status, path: directory.describe("status"))
        let groupIDs = try ids("Gid", in: status, path: directory.describe("status"))
        guard let parent = field("PPid", in: status).flatMap(decimal) else {
            throw .malformed(path: directory.describe("status"), field: "PPid")
        }
        var comm = try directory.read("comm")
        if comm.last == UInt8(ascii: "\n") { comm.removeLast() }
        let commandLine = directory.readIfPossible("cmdline").map(terminated)
        return ProcessMetadata(
            processID: processID, userIDs: userIDs, groupIDs: groupIDs, parentProcessID: pid_t(parent), comm: comm,
            executable: directory.readLinkIfPossible("exe"),
            commandLine: commandLine?.isEmpty == false ? commandLine : nil,
            cgroup: directory.readIfPossible("cgroup").flatMap(unifiedCgroup),
            capabilities: capabilities(in: status),
            loginUID: directory.readIfPossible("loginuid").flatMap { decimal($0) },
            sessionID: directory.readIfPossible("sessionid").flatMap { decimal($0) })
    }

    /// Checks through `/proc/self/fdinfo` that the pidfd's process is alive and is `processID`.
    static func verify(_ pidfd: borrowing FileDescriptor, names processID: pid_t) throws(ProcessMetadataError) {
        let path = "/proc/self/fdinfo/\(pidfd.rawValue)"
        let info = try ProcessMetadataDirectory(path: "/proc/self/fdinfo").read("\(pidfd.rawValue)")
        guard let value = field("Pid", in: info) else { throw .malformed(path: path, field: "Pid") }
        // The kernel shows -1 once the process has been reaped.
        if value.first == UInt8(ascii: "-") { throw .processExited(processID) }
        guard let named = decimal(value) else { throw .malformed(path: path, field: "Pid") }
        guard named == UInt32(bitPattern: processID) else {
            throw .processMismatch(expected: processID, pidfdNames: pid_t(bitPattern: named))
        }
    }

    /// The highest capability number this kernel knows, read once per process.
    static let lastCapability: UInt32? = {
        (try? ProcessMetadataDirectory(path: "/proc/sys/kernel"))?.readIfPossible("cap_last_cap").flatMap { decimal($0) }
    }()

    private static func ids(_ name: String, in status: [ArraySlice<UInt8>], path: String) throws(ProcessMetadataError) -> IDs {
        let values = field(name, in: status).map(decimals) ?? []
        guard values.count == 4 else { throw .malformed(path: path, field: name) }
        return IDs(real: values[0], effective: values[1], saved: values[2], filesystem: values[3])
    }

    private static func capabilities(in status: [ArraySlice<UInt8>]) -> Capabilities? {
        guard let last = lastCapability,
              let inheritable = field("CapInh", in: status).flatMap(hexadecimal),
              let permitted = field("CapPrm", in: status).flatMap(hexadecimal),
              let effective = field("CapEff", in: status).flatMap(hexadecimal),
              let bounding = field("CapBnd", in: status).flatMap(hexadecimal)
        else { return nil }
        return Capabilities(lastCapability: last, inheritable: inheritable, permitted: permitted, effective: effective, bounding: bounding)
    }

    /// The path of the unified hierarchy's line (`0::/path`); on a v1-only system the
    /// `name=systemd` line, else the first.
    static func unifiedCgroup(_ file: [UInt8]) -> [UInt8]? {
        let lines = file.split(separator: UInt8(ascii: "\n"))
        let chosen = lines.first { $0.starts(with: Array("0::".utf8)) }
            ?? lines.first { $0.firstRange(of: Array(":name=systemd:".utf8)) != nil }
            ?? lines.first
        guard let line = chosen else { return nil }
        let parts = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty else { return nil }
        return Array(parts[2])
    }

    /// The value of `Name:\tvalue` in a /proc key-value file, without surrounding blanks.
    static func field(_ name: String, in file: [UInt8]) -> ArraySlice<UInt8>? {
        field(name, in: file.split(separator: UInt8(ascii: "\n")))
    }

    /// As above, in a file already split into lines (status is searched for eight keys).
    static func field(_ name: String, in lines: [ArraySlice<UInt8>]) -> ArraySlice<UInt8>? {
        let key = Array(name.utf8) + [UInt8(ascii: ":")]
        for line in lines where line.starts(with: key) {
            return line.dropFirst(key.count).drop { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") }
        }
        return nil
    }

    /// Blank-separated decimal numbers; any other byte makes the list empty.
    static func decimals(_ text: ArraySlice<UInt8>) -> [UInt32] {
        var values: [UInt32] = []
        for word in text.split(whereSeparator: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") }) {
            guard let value = decimal(word) else { return [] }
            values.append(value)
        }
        return values
    }

    /// One decimal u32, optionally followed by a newline.
    static func decimal<Bytes: Collection<UInt8>>(_ text: Bytes) -> UInt32? {
        var value: UInt32 = 0
        var digits = 0
        for byte in text {
            if byte == UInt8(ascii: "\n") { break }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt32(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// One hexadecimal u64 (a capability mask), at most 16 digits.
    static func hexadecimal(_ text: ArraySlice<UInt8>) -> UInt64? {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// A NUL-separated list whose last entry lost its NUL to the cut gets it back.
    static func terminated(_ bytes: [UInt8]) -> [UInt8] {
        guard let last = bytes.last, last != 0 else { return bytes }
        var fixed = bytes
        if fixed.count >= maxTextLength { fixed[fixed.count - 1] = 0 } else { fixed.append(0) }
        return fixed
    }
}
