// KDBus Record Decoding: 32 bytes from a peer to a record, every field checked.

extension KDBusRecord {
    /// Decodes the record at the start of `bytes`, which came from the peer on the other
    /// side of `direction`. `streamOffset` is where the record starts in the connection's
    /// record stream; errors report field offsets relative to it. Checks everything that
    /// can be checked without the pool or arena: kind and direction, reserved bits and
    /// slots, alignment, non-zero lengths and counts, limits. Bounds against the actual
    /// pool or arena size are the caller's (`PoolView`, `SendArena` check them again).
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, from direction: KDBusDirection, streamOffset: Int = 0
    ) throws(KDBusRecordError) -> KDBusRecord {
        guard bytes.count >= KDBusLimits.recordSize else {
            throw KDBusRecordError(.truncated(available: bytes.count), field: .record, offset: streamOffset, value: 0)
        }
        let fields = RecordFields(bytes: bytes, base: streamOffset)
        let rawKind = fields.u32(KDBusRecordLayout.kind)
        guard let kind = KDBusRecordKind(rawValue: rawKind) else {
            throw fields.error(.unknownKind, .kind, KDBusRecordLayout.kind, UInt64(rawKind))
        }
        guard kind.travels(direction) else {
            throw fields.error(.wrongDirection, .kind, KDBusRecordLayout.kind, UInt64(rawKind))
        }
        switch kind {
        case .send:
            let message = try fields.messageFields(minimumOffset: KDBusLimits.arenaControlSize)
            return .send(Send(arenaOffset: message.offset, length: message.length, priority: message.priority,
                              fdCount: message.fdCount, memfdCount: message.memfdCount))
        case .receive:
            let message = try fields.messageFields(minimumOffset: 0)
            return .receive(Receive(poolOffset: message.offset, length: message.length, priority: message.priority,
                                    fdCount: message.fdCount, memfdCount: message.memfdCount))
        case .free: return .free(try fields.freeFields())
        case .broadcastsLost: return .broadcastsLost(try fields.lostFields())
        case .poolAnnouncement: return .poolAnnouncement(size: try fields.announcedSize(maximum: KDBusLimits.maxPoolSize))
        case .arenaAnnouncement: return .arenaAnnouncement(size: try fields.announcedSize(maximum: KDBusLimits.maxArenaSize))
        case .descriptors: return .descriptors(count: try fields.descriptorCount())
        }
    }

    /// Convenience for callers holding an array.
    /// Decodes a ring entry that `copyEntry` first copies into private memory (one record,
    /// `KDBusLimits.recordSize` bytes): the ring is the other side's memory, which it may
    /// change while it is read, so the decoder only ever reads the copy (docs/kdbus-transport.md §4.1).
    public static func decodeEntry(
        from direction: KDBusDirection, copying copyEntry: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(KDBusRecordError) -> KDBusRecord {
        let decoded = withUnsafeTemporaryAllocation(byteCount: KDBusLimits.recordSize, alignment: 8) { entry in
            copyEntry(entry)
            return Result { () throws(KDBusRecordError) in try decode(UnsafeRawBufferPointer(entry), from: direction) }
        }
        return try decoded.get()
    }

    public static func decode(_ bytes: [UInt8], from direction: KDBusDirection, streamOffset: Int = 0) throws(KDBusRecordError) -> KDBusRecord {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(KDBusRecordError) -> KDBusRecord in try decode(buffer, from: direction, streamOffset: streamOffset) }
        }
        return try result.get()
    }
}

/// The fields of one record, read with their stream offsets at hand for errors.
private struct RecordFields {
    let bytes: UnsafeRawBufferPointer
    let base: Int

    struct Message {
        var offset: UInt64, length: UInt64, priority: Int32, fdCount: UInt16, memfdCount: UInt16
    }

    func u16(_ at: Int) -> UInt16 { bytes.kdbusLoad(UInt16.self, at: at) }
    func u32(_ at: Int) -> UInt32 { bytes.kdbusLoad(UInt32.self, at: at) }
    func u64(_ at: Int) -> UInt64 { bytes.kdbusLoad(UInt64.self, at: at) }

    func error(_ problem: KDBusRecordError.Problem, _ field: KDBusRecordError.Field, _ at: Int, _ value: UInt64) -> KDBusRecordError {
        KDBusRecordError(problem, field: field, offset: base + at, value: value)
    }

    func messageFields(minimumOffset: Int) throws(KDBusRecordError) -> Message {
        let flags = u32(KDBusRecordLayout.flags)
        guard flags == 0 else { throw error(.unknownFlags(bits: UInt64(flags)), .flags, KDBusRecordLayout.flags, UInt64(flags)) }
        let offset = u64(KDBusRecordLayout.offset)
        guard offset % UInt64(KDBusLimits.alignment) == 0 else { throw error(.misaligned, .offset, KDBusRecordLayout.offset, offset) }
        guard offset >= UInt64(minimumOffset) else {
            throw error(.belowLimit(limit: minimumOffset), .offset, KDBusRecordLayout.offset, offset)
        }
        let length = u64(KDBusRecordLayout.length)
        guard length != 0 else { throw error(.zero, .length, KDBusRecordLayout.length, length) }
        let maxLength = max(ProtocolLimits.maxMessageLength, KDBusLimits.maxPoolSize)
        guard length <= UInt64(maxLength) else {
            throw error(.aboveLimit(limit: maxLength), .length, KDBusRecordLayout.length, length)
        }
        guard offset <= UInt64.max - length else { throw error(.overflow, .length, KDBusRecordLayout.length, length) }
        let fdCount = u16(KDBusRecordLayout.fdCount)
        guard Int(fdCount) <= ProtocolLimits.maxUnixFDsPerMessage else {
            throw error(.aboveLimit(limit: ProtocolLimits.maxUnixFDsPerMessage), .fdCount, KDBusRecordLayout.fdCount, UInt64(fdCount))
        }
        let memfdCount = u16(KDBusRecordLayout.memfdCount)
        let memfdLimit = min(KDBusLimits.maxMemfdParts, ProtocolLimits.maxUnixFDsPerMessage - Int(fdCount))
        guard Int(memfdCount) <= memfdLimit else {
            throw error(.aboveLimit(limit: memfdLimit), .memfdCount, KDBusRecordLayout.memfdCount, UInt64(memfdCount))
        }
        let priority = Int32(bitPattern: u32(KDBusRecordLayout.priority))
        return Message(offset: offset, length: length, priority: priority, fdCount: fdCount, memfdCount: memfdCount)
    }

    func freeFields() throws(KDBusRecordError) -> KDBusRecord.Free {
        let count = u32(KDBusRecordLayout.freeCount)
        guard count != 0 else { throw error(.zero, .freeCount, KDBusRecordLayout.freeCount, 0) }
        guard count <= UInt32(KDBusLimits.freeOffsetsPerRecord) else {
            throw error(.aboveLimit(limit: KDBusLimits.freeOffsetsPerRecord), .freeCount, KDBusRecordLayout.freeCount, UInt64(count))
        }
        let slots = (try freeSlot(0, count: count), try freeSlot(1, count: count), try freeSlot(2, count: count))
        return KDBusRecord.Free(count: Int(count), slots: slots)
    }

    /// Slot `slot` of a FREE: an aligned offset when used, zero when not.
    private func freeSlot(_ slot: Int, count: UInt32) throws(KDBusRecordError) -> UInt64 {
        let at = KDBusRecordLayout.freeSlots + 8 * slot
        let value = u64(at)
        if slot >= Int(count) {
            guard value == 0 else { throw error(.notZero, .freeSlot, at, value) }
        } else {
            guard value % UInt64(KDBusLimits.alignment) == 0 else { throw error(.misaligned, .freeSlot, at, value) }
        }
        return value
    }

    /// A POOL or ARENA announcement: only the length field is used; it is a whole number of
    /// 4 KiB pages within the limits. Every other byte past the kind is 0.
    func announcedSize(maximum: Int) throws(KDBusRecordError) -> UInt64 {
        for (at, field) in [(KDBusRecordLayout.flags, KDBusRecordError.Field.flags), (KDBusRecordLayout.offset, .offset),
                            (KDBusRecordLayout.priority, .priority), (KDBusRecordLayout.fdCount, .fdCount)] {
            let value = at == KDBusRecordLayout.offset ? u64(at) : UInt64(u32(at))
            guard value == 0 else { throw error(.notZero, field, at, value) }
        }
        let size = u64(KDBusRecordLayout.length)
        guard size >= UInt64(KDBusLimits.minRegionSize) else {
            throw error(.belowLimit(limit: KDBusLimits.minRegionSize), .length, KDBusRecordLayout.length, size)
        }
        guard size <= UInt64(maximum) else { throw error(.aboveLimit(limit: maximum), .length, KDBusRecordLayout.length, size) }
        guard size % UInt64(KDBusLimits.pageSize) == 0 else { throw error(.notPageMultiple, .length, KDBusRecordLayout.length, size) }
        return size
    }

    /// An FDS record: a count of 1...`KDBusLimits.maxDescriptorsPerRecord`, then 24 zero bytes.
    func descriptorCount() throws(KDBusRecordError) -> UInt32 {
        let count = u32(KDBusRecordLayout.descriptorCount)
        guard count != 0 else { throw error(.zero, .descriptorCount, KDBusRecordLayout.descriptorCount, 0) }
        guard count <= UInt32(KDBusLimits.maxDescriptorsPerRecord) else {
            throw error(.aboveLimit(limit: KDBusLimits.maxDescriptorsPerRecord), .descriptorCount,
                        KDBusRecordLayout.descriptorCount, UInt64(count))
        }
        for at in stride(from: 8, to: KDBusLimits.recordSize, by: 8) {
            let value = u64(at)
            guard value == 0 else { throw error(.notZero, .reserved, at, value) }
        }
        return count
    }

    func lostFields() throws(KDBusRecordError) -> KDBusRecord.BroadcastsLost {
        let reservedWord = u32(KDBusRecordLayout.flags)
        guard reservedWord == 0 else { throw error(.notZero, .reserved, KDBusRecordLayout.flags, UInt64(reservedWord)) }
        let count = u64(KDBusRecordLayout.lostCount)
        guard count != 0 else { throw error(.zero, .lostCount, KDBusRecordLayout.lostCount, 0) }
        let total = u64(KDBusRecordLayout.lostTotal)
        guard total >= count else { throw error(.belowLimit(limit: Int(clamping: count)), .lostTotal, KDBusRecordLayout.lostTotal, total) }
        let reserved = u64(KDBusRecordLayout.lostReserved)
        guard reserved == 0 else { throw error(.notZero, .reserved, KDBusRecordLayout.lostReserved, reserved) }
        return KDBusRecord.BroadcastsLost(count: count, total: total)
    }
}
