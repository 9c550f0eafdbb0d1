// KDBus Metadata Decoding: the typed metadata of a received slice.

extension KDBusMetadata {
    /// Reads `slice`'s items and decodes its metadata items; payload and unknown items are
    /// skipped. Every size, bound and reserved word is checked.
    public init(slice: UnsafeRawBufferPointer) throws(KDBusMetadataError) {
        let contents: KDBusSliceContents
        do {
            contents = try KDBusSliceReader.read(slice)
        } catch {
            throw KDBusMetadataError(error)
        }
        try self.init(items: contents.items, in: slice)
    }

    /// Decodes the metadata among `items`, which `KDBusSliceReader` read from `slice` (so
    /// their framing, fixed sizes and NUL terminators are already checked).
    public init(items: [KDBusItem], in slice: UnsafeRawBufferPointer) throws(KDBusMetadataError) {
        self.init()
        var seen = KDBusMetadataSet()
        for item in items {
            guard let type = item.type, type.isMetadata else { continue }
            let offset = item.payload.lowerBound - KDBusItem.headerSize
            guard !seen.contains(KDBusMetadataSet(type)) else { throw KDBusMetadataError(.duplicateItem(type), offset: offset) }
            seen.insert(KDBusMetadataSet(type))
            try decode(type, payload: UnsafeRawBufferPointer(rebasing: slice[item.payload]), at: offset)
        }
    }

    private mutating func decode(_ type: KDBusItemType, payload: UnsafeRawBufferPointer, at offset: Int) throws(KDBusMetadataError) {
        func word(_ index: Int) -> UInt32 { payload.kdbusLoad(UInt32.self, at: 4 * index) }
        func reserved(_ index: Int) throws(KDBusMetadataError) {
            let value = word(index)
            guard value == 0 else { throw KDBusMetadataError(.reservedNotZero(type, value), offset: offset) }
        }
        switch type {
        case .credentials:
            credentials = Credentials(uid: word(0), euid: word(1), suid: word(2), fsuid: word(3),
                                      gid: word(4), egid: word(5), sgid: word(6), fsgid: word(7))
        case .pids:
            try reserved(3)
            processIDs = ProcessIDs(pid: word(0), tid: word(1), ppid: word(2))
        case .pidfd:
            try reserved(1)
            pidfdIndex = Int(word(0))
        case .comm: comm = Self.text(payload)
        case .exe: executable = Self.text(payload)
        case .cmdline: commandLine = Self.texts(payload)
        case .cgroup: cgroup = Self.text(payload)
        case .capabilities:
            try reserved(1)
            capabilities = Capabilities(
                lastCapability: word(0), inheritable: payload.kdbusLoad(UInt64.self, at: 8),
                permitted: payload.kdbusLoad(UInt64.self, at: 16), effective: payload.kdbusLoad(UInt64.self, at: 24),
                bounding: payload.kdbusLoad(UInt64.self, at: 32))
        case .securityLabel: securityLabel = Self.text(payload)
        case .audit: audit = Audit(loginUID: word(0), sessionID: word(1))
        case .ownedNames:
            let names = Self.texts(payload)
            guard !names.contains(where: \.isEmpty) else { throw KDBusMetadataError(.emptyName, offset: offset) }
            ownedNames = names
        case .timestamp:
            timestamp = Timestamp(sequence: payload.kdbusLoad(UInt64.self, at: 0),
                                  monotonicNanoseconds: payload.kdbusLoad(UInt64.self, at: 8),
                                  realtimeNanoseconds: payload.kdbusLoad(UInt64.self, at: 16))
        case .groups:
            guard payload.count % 4 == 0 else { throw KDBusMetadataError(.groupsSize(payload.count), offset: offset) }
            groups = (0..<payload.count / 4).map(word)
        case .payloadInline, .payloadMemfd:
            break
        }
    }

    /// One NUL-terminated string (the reader checked the NUL); invalid UTF-8 is repaired.
    private static func text(_ payload: UnsafeRawBufferPointer) -> String {
        String(decoding: payload.dropLast(), as: UTF8.self)
    }

    /// A list of NUL-terminated strings.
    private static func texts(_ payload: UnsafeRawBufferPointer) -> [String] {
        payload.dropLast().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }
}
