// KDBus Metadata Encoding: a receiver's requested items, written into its slice.

extension KDBusSliceWriter {
    /// Longest text payload, NUL included: an item may not exceed `KDBusLimits.maxItemSize`.
    public static var maxTextPayload: Int { KDBusLimits.maxItemSize - KDBusItem.headerSize }

    /// Bytes the metadata items `appendMetadata` writes take, padding included, so the broker
    /// can size the slice before it allocates it. Allocates nothing.
    public static func metadataLength(
        _ wanted: KDBusMetadataSet, cache: KDBusMetadataCache, names: [[UInt8]], pidfdIndex: UInt32?
    ) -> Int {
        var total = 0
        for bit in 0..<KDBusMetadataItems.count {
            let set = KDBusMetadataSet(rawValue: 1 << UInt64(bit))
            guard wanted.contains(set), let length = payloadLength(of: set, cache: cache, names: names, pidfdIndex: pidfdIndex) else { continue }
            total += itemSize(payloadLength: length)
        }
        return total
    }

    /// Appends the items of `wanted` in item-type order, each from `stamp` (per message),
    /// `cache` (the sender at connect) or `names` (the sender's well-known names now, as
    /// bytes without NUL). An item with no value is left out; text is cut to
    /// `maxTextPayload`, and names that do not fit are left out whole. Returns false, having
    /// written only whole items, when the slice is too short (size it with `metadataLength`).
    /// Allocates nothing.
    public mutating func appendMetadata(
        _ wanted: KDBusMetadataSet, stamp: KDBusMetadataStamp, cache: KDBusMetadataCache, names: [[UInt8]], pidfdIndex: UInt32?
    ) -> Bool {
        for bit in 0..<KDBusMetadataItems.count {
            let set = KDBusMetadataSet(rawValue: 1 << UInt64(bit))
            guard wanted.contains(set),
                  let length = Self.payloadLength(of: set, cache: cache, names: names, pidfdIndex: pidfdIndex)
            else { continue }
            let type = KDBusMetadataItems.type(ofBit: bit)
            let fits = append(type, payloadLength: length) { payload in
                Self.fill(payload, type: type, stamp: stamp, cache: cache, names: names, pidfdIndex: pidfdIndex)
            }
            guard fits else { return false }
        }
        return true
    }

    /// The payload length of one item, or nil when the broker has no value for it.
    static func payloadLength(of item: KDBusMetadataSet, cache: KDBusMetadataCache, names: [[UInt8]], pidfdIndex: UInt32?) -> Int? {
        switch item {
        case .pidfd: return pidfdIndex == nil ? nil : 8
        case .comm: return cache.comm.map(textLength)
        case .exe: return cache.executable.map(textLength)
        case .cmdline: return cache.commandLine.flatMap { $0.isEmpty ? nil : min($0.count, maxTextPayload) }
        case .cgroup: return cache.cgroup.map(textLength)
        case .capabilities: return cache.capabilities == nil ? nil : 40
        case .securityLabel: return cache.securityLabel.map(textLength)
        case .audit: return cache.audit == nil ? nil : 8
        case .ownedNames: return namesLength(names)
        case .groups: return cache.groups.isEmpty ? nil : min(cache.groups.count, maxGroups) * 4
        case .credentials: return 32
        case .pids: return 16
        case .timestamp: return 24
        default: return nil
        }
    }

    /// Groups that fit one item.
    static var maxGroups: Int { maxTextPayload / 4 }

    private static func textLength(_ text: [UInt8]) -> Int { min(text.count + 1, maxTextPayload) }

    /// The names that fit, whole, each with its NUL (empty names, which no registry holds, are
    /// skipped); nil when there are none, since an empty text item is malformed.
    private static func namesLength(_ names: [[UInt8]]) -> Int? {
        // Index loops here and below: in debug builds `for-in` over an array allocates per element.
        var total = 0
        for index in names.indices where !names[index].isEmpty && total + names[index].count + 1 <= maxTextPayload {
            total += names[index].count + 1
        }
        return total == 0 ? nil : total
    }

    // The payload arrives zeroed (`append` clears the item), so padding, reserved words and
    // each text's NUL need no store.
    private static func fill(
        _ payload: UnsafeMutableRawBufferPointer, type: KDBusItemType, stamp: KDBusMetadataStamp,
        cache: KDBusMetadataCache, names: [[UInt8]], pidfdIndex: UInt32?
    ) {
        // Stores word by word: a variadic or array literal here would allocate per message.
        func word(_ index: Int, _ value: UInt32) { payload.kdbusStore(value, at: 4 * index) }
        switch type {
        case .credentials:
            word(0, stamp.userID); word(1, cache.effectiveUID); word(2, cache.savedUID); word(3, cache.filesystemUID)
            word(4, stamp.groupID); word(5, cache.effectiveGID); word(6, cache.savedGID); word(7, cache.filesystemGID)
        case .pids:
            word(0, stamp.processID)
            word(2, cache.parentPID)
        case .pidfd: word(0, pidfdIndex ?? 0)
        case .comm: copyText(cache.comm, into: payload)
        case .exe: copyText(cache.executable, into: payload)
        case .cmdline:
            copyText(cache.commandLine, into: payload)
            payload[payload.count - 1] = 0 // a cut argument list still ends in NUL
        case .cgroup: copyText(cache.cgroup, into: payload)
        case .capabilities:
            guard let caps = cache.capabilities else { return }
            payload.kdbusStore(caps.lastCapability, at: 0)
            payload.kdbusStore(caps.inheritable, at: 8)
            payload.kdbusStore(caps.permitted, at: 16)
            payload.kdbusStore(caps.effective, at: 24)
            payload.kdbusStore(caps.bounding, at: 32)
        case .securityLabel: copyText(cache.securityLabel, into: payload)
        case .audit:
            word(0, cache.audit?.loginUID ?? 0)
            word(1, cache.audit?.sessionID ?? 0)
        case .ownedNames: copyNames(names, into: payload)
        case .timestamp:
            payload.kdbusStore(stamp.timestamp.sequence, at: 0)
            payload.kdbusStore(stamp.timestamp.monotonicNanoseconds, at: 8)
            payload.kdbusStore(stamp.timestamp.realtimeNanoseconds, at: 16)
        case .groups:
            for index in 0..<payload.count / 4 { payload.kdbusStore(cache.groups[index], at: 4 * index) }
        case .payloadInline, .payloadMemfd:
            break
        }
    }

    /// Copies as much of `text` as leaves room for the (already zero) final NUL.
    private static func copyText(_ text: [UInt8]?, into payload: UnsafeMutableRawBufferPointer) {
        guard let text else { return }
        let count = min(text.count, payload.count - 1)
        guard count > 0 else { return }
        text.withUnsafeBytes { source in
            payload.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
        }
    }

    private static func copyNames(_ names: [[UInt8]], into payload: UnsafeMutableRawBufferPointer) {
        var position = 0
        for index in names.indices where !names[index].isEmpty && position + names[index].count + 1 <= payload.count {
            names[index].withUnsafeBytes { source in
                (payload.baseAddress! + position).copyMemory(from: source.baseAddress!, byteCount: source.count)
            }
            position += names[index].count + 1
        }
    }
}

/// The metadata bits of `KDBusMetadataSet` and their item types, in type order.
enum KDBusMetadataItems {
    /// Items protocol version 1 defines (types 0x1001 … 0x100D).
    static var count: Int { 13 }

    static func type(ofBit bit: Int) -> KDBusItemType {
        KDBusItemType(rawValue: KDBusItemType.metadataBase + UInt32(bit) + 1)!
    }
}
