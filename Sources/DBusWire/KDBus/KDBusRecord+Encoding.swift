// KDBus Record Encoding: a record to its 32 bytes.

extension KDBusRecord {
    /// Writes the record's `KDBusLimits.recordSize` bytes at the start of `buffer`, which
    /// must be at least that long (a programming error otherwise).
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= KDBusLimits.recordSize, "KDBusRecord.encode: buffer shorter than a record")
        let record = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<KDBusLimits.recordSize])
        record.initializeMemory(as: UInt8.self, repeating: 0)
        record.kdbusStore(kind.rawValue, at: KDBusRecordLayout.kind)
        switch self {
        case .send(let send):
            storeMessage(record, offset: send.arenaOffset, length: send.length, priority: send.priority,
                         fdCount: send.fdCount, memfdCount: send.memfdCount)
        case .receive(let receive):
            storeMessage(record, offset: receive.poolOffset, length: receive.length, priority: receive.priority,
                         fdCount: receive.fdCount, memfdCount: receive.memfdCount)
        case .free(let free):
            record.kdbusStore(UInt32(free.count), at: KDBusRecordLayout.freeCount)
            for slot in 0..<free.count {
                record.kdbusStore(free[slot], at: KDBusRecordLayout.freeSlots + 8 * slot)
            }
        case .poolAnnouncement(let size), .arenaAnnouncement(let size):
            record.kdbusStore(size, at: KDBusRecordLayout.length)
        case .descriptors(let count):
            record.kdbusStore(count, at: KDBusRecordLayout.descriptorCount)
        case .broadcastsLost(let lost):
            record.kdbusStore(lost.count, at: KDBusRecordLayout.lostCount)
            record.kdbusStore(lost.total, at: KDBusRecordLayout.lostTotal)
        }
    }

    private func storeMessage(
        _ record: UnsafeMutableRawBufferPointer, offset: UInt64, length: UInt64, priority: Int32,
        fdCount: UInt16, memfdCount: UInt16
    ) {
        record.kdbusStore(offset, at: KDBusRecordLayout.offset)
        record.kdbusStore(length, at: KDBusRecordLayout.length)
        record.kdbusStore(priority, at: KDBusRecordLayout.priority)
        record.kdbusStore(fdCount, at: KDBusRecordLayout.fdCount)
        record.kdbusStore(memfdCount, at: KDBusRecordLayout.memfdCount)
    }

    /// The record's bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: KDBusLimits.recordSize)
        out.withUnsafeMutableBytes { encode(into: $0) }
        return out
    }
}
